# Brightwave Energy, the bill explained: ar.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = مرحباً { $name }،
# $seconds: the video's length in whole seconds.
intro = هذه فاتورتك لشهر نوفمبر، مشروحة في { $seconds ->
        [few] { $seconds } ثوانٍ
       *[other] { $seconds } ثانية
    }.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = المبلغ المستحق
# Before the due date (the date follows, in bold).
pay-by = يرجى الدفع قبل
# After the change in percent against the last bill.
vs-last-bill = مقارنة بفاتورتك السابقة
# Donut chart: the energy itself.
cost-energy = الكهرباء
# Donut chart: the rest of the bill.
cost-other = الرسوم الثابتة وغيرها
usage-title = استهلاكك من الكهرباء، كيلوواط ساعة
# Bar chart legend.
last-12-months = آخر 12 شهراً
# Bar chart legend.
year-before = العام السابق
# The change in percent follows.
vs-year-before = مقارنة بالعام السابق:
payment-reminder = تذكير بالدفع
why-title = لماذا تغيرت فاتورتك؟
# The kWh before and now follow.
effect-use = الكهرباء المستهلكة
# The price per kWh before and now follow.
effect-price = سعر الكيلوواط ساعة
effect-other = الرسوم الثابتة والأيام والأرصدة
# $number: the bill's number, as text.
bill-number = فاتورة { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] أعلى من فاتورتك السابقة
       *[down] أقل من فاتورتك السابقة
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } من فاتورتك السابقة متأخر منذ { $days ->
        [one] يوم واحد
        [two] يومين
        [few] { $days } أيام
       *[other] { $days } يوماً
    }

## The tip and the pay scene

tip-title = نصيحة الشهر
tip = خفض منظم الحرارة درجة مئوية واحدة قد يخفض فاتورة التدفئة حتى 10%.
tip-gauge = حتى 10% أقل على التدفئة
pay-title = ادفع في ثوانٍ
# The pay button (an arrow follows).
pay-now = ادفع الآن
# Under the QR code.
scan-to-pay = أو امسح الرمز للدفع
thanks = شكراً لاختيارك Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = ماذا يقول الفيديو
