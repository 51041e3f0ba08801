# Brightwave Energy, the bill explained: zh.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = 您好 { $name },
# $seconds: the video's length in whole seconds.
intro = 这是您的十一月账单，{ $seconds }秒为您讲清楚。

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = 应付金额
# Before the due date (the date follows, in bold).
pay-by = 请在此日期前付款：
# After the change in percent against the last bill.
vs-last-bill = 较上期账单
# Donut chart: the energy itself.
cost-energy = 电费
# Donut chart: the rest of the bill.
cost-other = 固定费用及其他
usage-title = 您的用电量（千瓦时）
# Bar chart legend.
last-12-months = 最近12个月
# Bar chart legend.
year-before = 前一年
# The change in percent follows.
vs-year-before = 与前一年相比：
payment-reminder = 付款提醒
why-title = 为什么账单有变化？
# The kWh before and now follow.
effect-use = 用电量
# The price per kWh before and now follow.
effect-price = 每千瓦时价格
effect-other = 固定费用、天数和抵扣
# $number: the bill's number, as text.
bill-number = 账单 { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] 比上期账单高
       *[down] 比上期账单低
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } （上期账单）已逾期 { $days } 天

## The tip and the pay scene

tip-title = 本月节能小贴士
tip = 将恒温器调低1 °C，最多可节省10%的取暖费用。
tip-gauge = 取暖费用最多节省10%
pay-title = 几秒钟即可付款
# The pay button (an arrow follows).
pay-now = 立即付款
# Under the QR code.
scan-to-pay = 或扫码付款
thanks = 感谢您选择 Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = 视频内容
