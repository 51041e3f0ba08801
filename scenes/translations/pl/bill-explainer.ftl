# Brightwave Energy, the bill explained: pl.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = Dzień dobry { $name },
# $seconds: the video's length in whole seconds.
intro = oto Twój rachunek za listopad, wyjaśniony w { $seconds } s.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = Kwota do zapłaty
# Before the due date (the date follows, in bold).
pay-by = Termin płatności
# After the change in percent against the last bill.
vs-last-bill = względem poprzedniego
# Donut chart: the energy itself.
cost-energy = Energia
# Donut chart: the rest of the bill.
cost-other = Opłata stała i inne
usage-title = Twoje zużycie energii, kWh
# Bar chart legend.
last-12-months = Ostatnie 12 miesięcy
# Bar chart legend.
year-before = Rok wcześniej
# The change in percent follows.
vs-year-before = W porównaniu z rokiem wcześniej:
payment-reminder = Przypomnienie o płatności
why-title = Dlaczego rachunek się zmienił?
# The kWh before and now follow.
effect-use = Zużyta energia
# The price per kWh before and now follow.
effect-price = Cena za kWh
effect-other = Opłata stała, dni i korekty
# $number: the bill's number, as text.
bill-number = Rachunek { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] Wyższy niż poprzedni
       *[down] Niższy niż poprzedni
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } z poprzedniego rachunku jest zaległe od { $days ->
        [one] { $days } dnia
       *[other] { $days } dni
    }

## The tip and the pay scene

tip-title = Porada miesiąca
tip = Obniżenie temperatury na termostacie o 1 °C może zmniejszyć koszty ogrzewania nawet o 10%.
tip-gauge = nawet 10% mniej za ogrzewanie
pay-title = Zapłać w kilka sekund
# The pay button (an arrow follows).
pay-now = Zapłać teraz
# Under the QR code.
scan-to-pay = lub zeskanuj, aby zapłacić
thanks = Dziękujemy, że wybierasz Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = Co mówi film
