# Brightwave Energy, the bill explained: ja.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = こんにちは { $name }、
# $seconds: the video's length in whole seconds.
intro = 11月分のご請求を{ $seconds }秒でご説明します。

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = ご請求金額
# Before the due date (the date follows, in bold).
pay-by = お支払い期限
# After the change in percent against the last bill.
vs-last-bill = 前回のご請求比
# Donut chart: the energy itself.
cost-energy = 電気料金
# Donut chart: the rest of the bill.
cost-other = 基本料金ほか
usage-title = 電気のご使用量（kWh）
# Bar chart legend.
last-12-months = 直近12か月
# Bar chart legend.
year-before = 前年
# The change in percent follows.
vs-year-before = 前年との比較：
payment-reminder = お支払いのお知らせ
why-title = ご請求額が変わった理由
# The kWh before and now follow.
effect-use = ご使用量
# The price per kWh before and now follow.
effect-price = 1 kWhあたりの単価
effect-other = 基本料金・日数・割引
# $number: the bill's number, as text.
bill-number = 請求書 { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] 前回より高くなりました
       *[down] 前回より安くなりました
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } （前回分）のお支払いが遅れています。経過日数 { $days } 日

## The tip and the pay scene

tip-title = 今月のヒント
tip = サーモスタットを1 °C下げると、暖房費を最大10%節約できます。
tip-gauge = 暖房費を最大10%節約
pay-title = すぐにお支払い
# The pay button (an arrow follows).
pay-now = 今すぐ支払う
# Under the QR code.
scan-to-pay = またはスキャンしてお支払い
thanks = Brightwave Energyをご利用いただきありがとうございます
# Landing page: the heading over the transcript.
transcript-title = 動画の内容
