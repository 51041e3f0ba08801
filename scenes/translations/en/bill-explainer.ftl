# Brightwave Energy, the bill explained: en.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = Hello { $name },
# $seconds: the video's length in whole seconds.
intro = here is your November bill, explained in { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = Amount due
# Before the due date (the date follows, in bold).
pay-by = Please pay by
# After the change in percent against the last bill.
vs-last-bill = vs your last bill
# Donut chart: the energy itself.
cost-energy = Electricity
# Donut chart: the rest of the bill.
cost-other = Standing charge & other
usage-title = Your electricity use, kWh
# Bar chart legend.
last-12-months = Last 12 months
# Bar chart legend.
year-before = Year before
# The change in percent follows.
vs-year-before = Compared with the year before:
payment-reminder = Payment reminder
why-title = Why did your bill change?
# The kWh before and now follow.
effect-use = Electricity used
# The price per kWh before and now follow.
effect-price = Price per kWh
effect-other = Standing charge, days and credits
# $number: the bill's number, as text.
bill-number = Bill { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] Higher than your last bill
       *[down] Lower than your last bill
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } of your previous bill is overdue by { $days ->
        [one] { $days } day
       *[other] { $days } days
    }

## The tip and the pay scene

tip-title = Tip of the month
tip = Turning your thermostat down by 1 °C can cut your heating bill by up to 10%.
tip-gauge = up to 10% less on heating
pay-title = Pay in seconds
# The pay button (an arrow follows).
pay-now = Pay now
# Under the QR code.
scan-to-pay = or scan to pay
thanks = Thank you for choosing Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = What the video says
