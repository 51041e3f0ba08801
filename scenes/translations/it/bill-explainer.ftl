# Brightwave Energy, the bill explained: it.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = Ciao { $name },
# $seconds: the video's length in whole seconds.
intro = ecco la tua bolletta di novembre, spiegata in { $seconds ->
        [one] { $seconds } secondo
       *[other] { $seconds } secondi
    }.

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = Importo da pagare
# Before the due date (the date follows, in bold).
pay-by = Scadenza
# After the change in percent against the last bill.
vs-last-bill = rispetto alla precedente
# Donut chart: the energy itself.
cost-energy = Energia
# Donut chart: the rest of the bill.
cost-other = Quota fissa e altro
usage-title = I tuoi consumi di elettricità, kWh
# Bar chart legend.
last-12-months = Ultimi 12 mesi
# Bar chart legend.
year-before = Anno precedente
# The change in percent follows.
vs-year-before = Rispetto all'anno precedente:
payment-reminder = Promemoria di pagamento
why-title = Perché la bolletta è cambiata?
# The kWh before and now follow.
effect-use = Energia consumata
# The price per kWh before and now follow.
effect-price = Prezzo al kWh
effect-other = Quota fissa, giorni e accrediti
# $number: the bill's number, as text.
bill-number = Bolletta { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] Più alta della precedente
       *[down] Più bassa della precedente
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } della bolletta precedente è scaduto da { $days ->
        [one] { $days } giorno
       *[other] { $days } giorni
    }

## The tip and the pay scene

tip-title = Il consiglio del mese
tip = Abbassare il termostato di 1 °C può ridurre la spesa per il riscaldamento fino al 10%.
tip-gauge = fino al 10% in meno sul riscaldamento
pay-title = Paga in pochi secondi
# The pay button (an arrow follows).
pay-now = Paga ora
# Under the QR code.
scan-to-pay = oppure inquadra per pagare
thanks = Grazie per aver scelto Brightwave Energy
# Landing page: the heading over the transcript.
transcript-title = Cosa dice il video
