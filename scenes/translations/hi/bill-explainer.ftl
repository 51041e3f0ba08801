# Brightwave Energy, the bill explained: hi.
# Read by scenes/bill-explainer.yaml through `t("id", ...)`; see docs/storyboard.md, Translations.

## The intro

# $name: the customer's name as the storyboard writes it for this language.
greeting = नमस्ते { $name },
# $seconds: the video's length in whole seconds.
intro = यह रहा आपका नवंबर का बिल, { $seconds } सेकंड में समझाया गया।

## The amount, the chart and the reminder

# The amount of the bill, as a label.
amount-due = देय राशि
# Before the due date (the date follows, in bold).
pay-by = कृपया भुगतान करें
# After the change in percent against the last bill.
vs-last-bill = पिछले बिल की तुलना में
# Donut chart: the energy itself.
cost-energy = बिजली
# Donut chart: the rest of the bill.
cost-other = स्थायी शुल्क और अन्य
usage-title = आपकी बिजली खपत, kWh
# Bar chart legend.
last-12-months = पिछले 12 महीने
# Bar chart legend.
year-before = पिछला वर्ष
# The change in percent follows.
vs-year-before = पिछले वर्ष की तुलना में:
payment-reminder = भुगतान अनुस्मारक
why-title = आपका बिल क्यों बदला?
# The kWh before and now follow.
effect-use = इस्तेमाल की गई बिजली
# The price per kWh before and now follow.
effect-price = प्रति kWh मूल्य
effect-other = स्थायी शुल्क, दिन और क्रेडिट
# $number: the bill's number, as text.
bill-number = बिल { $number }
# $direction: `up` when the bill went up against the last one, else `down`.
bill-change = { $direction ->
        [up] पिछले बिल से अधिक
       *[down] पिछले बिल से कम
    }
# $amount: the overdue amount, already written as money; $days: how many days overdue.
overdue-by = { $amount } पिछले बिल का बकाया है, दिनों से: { $days } दिन

## The tip and the pay scene

tip-title = इस महीने का सुझाव
tip = थर्मोस्टैट को 1 °C कम करने से हीटिंग का खर्च 10% तक घट सकता है।
tip-gauge = हीटिंग पर 10% तक कम
pay-title = सेकंडों में भुगतान करें
# The pay button (an arrow follows).
pay-now = अभी भुगतान करें
# Under the QR code.
scan-to-pay = या भुगतान के लिए स्कैन करें
thanks = Brightwave Energy चुनने के लिए धन्यवाद
# Landing page: the heading over the transcript.
transcript-title = वीडियो में क्या है
