# Brightwave Energy, the bill explained: th.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = สวัสดีคุณ { $name },
# $seconds: the video's length in whole seconds.
intro = นี่คือบิลเดือนพฤศจิกายนของคุณ อธิบายใน { $seconds } วินาที

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = ยอดที่ต้องชำระ
# Before the due date (the date follows, in bold).
pay-by = กรุณาชำระภายใน
# After the change in percent against the last bill.
vs-last-bill = เทียบกับบิลก่อนหน้า
# Donut chart: the energy itself.
cost-energy = ค่าไฟฟ้า
# Donut chart: the rest of the bill.
cost-other = ค่าบริการรายเดือนและอื่นๆ
usage-title = การใช้ไฟฟ้าของคุณ (kWh)
# Bar chart legend.
last-12-months = 12 เดือนล่าสุด
# Bar chart legend.
year-before = ปีก่อนหน้า
# The change in percent follows.
vs-year-before = เทียบกับปีก่อนหน้า:
payment-reminder = แจ้งเตือนการชำระเงิน
why-title = ทำไมบิลของคุณเปลี่ยนไป
# The kWh before and now follow.
effect-use = ไฟฟ้าที่ใช้
# The price per kWh before and now follow.
effect-price = ราคาต่อหน่วย
effect-other = ค่าบริการ จำนวนวัน และเครดิต
# $number: the bill's number, as text.
bill-number = บิล { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] สูงกว่าบิลก่อนหน้า
       *[down] ต่ำกว่าบิลก่อนหน้า
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } ของบิลก่อนหน้าเลยกำหนดชำระมาแล้ว { $days } วัน

## The tip and the pay scene

tip-title = เคล็ดลับประจำเดือน
tip = ลดอุณหภูมิเทอร์โมสตัทลง 1 °C ช่วยลดค่าทำความร้อนได้สูงสุด 10%
tip-gauge = ลดค่าทำความร้อนได้ถึง 10%
pay-title = ชำระเงินได้ในไม่กี่วินาที
# The pay button (an arrow follows).
pay-now = ชำระเงินตอนนี้
# Under the QR code.
scan-to-pay = หรือสแกนเพื่อชำระเงิน
thanks = ขอบคุณที่เลือกใช้ Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = เนื้อหาในวิดีโอ
