# Brightwave Energy, the bill explained: he.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = שלום { $name },
# $seconds: the video's length in whole seconds.
intro = הנה החשבון שלך לחודש נובמבר, מוסבר ב-{ $seconds } שניות.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = סכום לתשלום
# Before the due date (the date follows, in bold).
pay-by = נא לשלם עד
# After the change in percent against the last bill.
vs-last-bill = לעומת החשבון הקודם
# Donut chart: the energy itself.
cost-energy = חשמל
# Donut chart: the rest of the bill.
cost-other = תשלום קבוע ואחר
usage-title = צריכת החשמל שלך, קוט״ש
# Bar chart legend.
last-12-months = 12 החודשים האחרונים
# Bar chart legend.
year-before = השנה הקודמת
# The change in percent follows.
vs-year-before = בהשוואה לשנה הקודמת:
payment-reminder = תזכורת תשלום
why-title = למה החשבון השתנה?
# The kWh before and now follow.
effect-use = חשמל שנצרך
# The price per kWh before and now follow.
effect-price = מחיר לקוט״ש
effect-other = תשלום קבוע, ימים וזיכויים
# $number: the bill's number, as text.
bill-number = חשבון { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] גבוה מהחשבון הקודם
       *[down] נמוך מהחשבון הקודם
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } מהחשבון הקודם באיחור של { $days ->
        [one] יום אחד
        [two] יומיים
       *[other] { $days } ימים
    }

## The tip and the pay scene

tip-title = הטיפ של החודש
tip = הורדת התרמוסטט במעלה אחת יכולה לחסוך עד 10% מעלות החימום.
tip-gauge = עד 10% פחות על חימום
pay-title = לשלם בשניות
# The pay button (an arrow follows).
pay-now = לתשלום עכשיו
# Under the QR code.
scan-to-pay = או לסרוק כדי לשלם
thanks = תודה שבחרת ב-Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = מה אומר הסרטון
