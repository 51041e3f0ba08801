# Brightwave Energy, the bill explained: de.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = Hallo { $name },
# $seconds: the video's length in whole seconds.
intro = hier ist Ihre Rechnung für November, in { $seconds ->
        [one] { $seconds } Sekunde
       *[other] { $seconds } Sekunden
    } erklärt.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = Fälliger Betrag
# Before the due date (the date follows, in bold).
pay-by = Bitte zahlen Sie bis
# After the change in percent against the last bill.
vs-last-bill = ggü. letzter Rechnung
# Donut chart: the energy itself.
cost-energy = Strom
# Donut chart: the rest of the bill.
cost-other = Grundgebühr und Sonstiges
usage-title = Ihr Stromverbrauch, kWh
# Bar chart legend.
last-12-months = Letzte 12 Monate
# Bar chart legend.
year-before = Vorjahr
# The change in percent follows.
vs-year-before = Im Vergleich zum Vorjahr:
payment-reminder = Zahlungserinnerung
why-title = Warum hat sich Ihre Rechnung geändert?
# The kWh before and now follow.
effect-use = Verbrauchter Strom
# The price per kWh before and now follow.
effect-price = Preis pro kWh
effect-other = Grundgebühr, Tage und Gutschriften
# $number: the bill's number, as text.
bill-number = Rechnung { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] Höher als Ihre letzte Rechnung
       *[down] Niedriger als Ihre letzte Rechnung
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } Ihrer letzten Rechnung sind überfällig seit { $days ->
        [one] { $days } Tag
       *[other] { $days } Tagen
    }

## The tip and the pay scene

tip-title = Tipp des Monats
tip = Wenn Sie das Thermostat um 1 °C senken, sparen Sie bis zu 10 % Heizkosten.
tip-gauge = bis zu 10 % weniger Heizkosten
pay-title = In Sekunden bezahlen
# The pay button (an arrow follows).
pay-now = Jetzt bezahlen
# Under the QR code.
scan-to-pay = oder zum Bezahlen scannen
thanks = Danke, dass Sie Brightwave Energy gewählt haben
# Landing page: the heading over the transcript.
transcript-title = Was das Video sagt
