"""The words of the corpus: names, places and what Glasnet's customers write, in Dutch and English.

Kept apart from the generator so the mix and the wording can be read and extended separately.
Templates name their slots in braces (``{city}``); :mod:`bench.corpus` fills them.
"""

FIRST = (
    "Anouk", "Bram", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Iris", "Jesse", "Julia", "Kevin",
    "Lotte", "Mark", "Noor", "Oscar", "Pieter", "Roos", "Sven", "Tess", "Thijs", "Vera", "Wouter",
    "Yara", "Zoë", "Mohamed", "Fatima", "Sem", "Lieke", "Ruben", "Sophie", "Emma", "Luuk", "Mila",
    "James", "Olivia", "Chloé", "Ömer", "Priya", "Jan-Willem", "Maaike",
)  # fmt: skip
LAST = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "El Idrissi", "Yılmaz", "Smith", "O'Brien", "Kowalski",
)  # fmt: skip
CITIES = (
    "Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen", "Tilburg",
    "Almere", "Breda", "Nijmegen", "Zwolle", "Leeuwarden", "Maastricht", "Enschede", "Haarlem",
    "Den Bosch", "Amersfoort", "Delft", "Alkmaar", "Apeldoorn",
)  # fmt: skip
COUNTRIES_NL = ("Spanje", "Frankrijk", "Turkije", "Marokko", "Italië", "Oostenrijk", "de VS")
COUNTRIES_EN = ("Spain", "France", "Turkey", "Morocco", "Italy", "Austria", "the US")
MODEMS = ("Glasnet Box 3", "Glasnet Box 4", "FritzBox 7590", "Glasnet Wifi 6 modem")
AGENTS = ("Anna", "Lars", "Sanne", "Youssef")
EMOJI = ("😡", "😤", "🙏", "👍", "😂", "🤔", "😢", "❤️", "📶", "💸", "🙄", "😊", "👏", "🤬")
HASHTAGS = (
    "#storing", "#glasnet", "#wifi", "#factuur", "#klantenservice", "#fail", "#thuiswerken",
    "#verhuizen", "#internet", "#glasvezel", "#roaming", "#opzeggen", "#tv",
)  # fmt: skip
SOURCES = ("Glasnet app for iOS", "Glasnet app for Android", "web", "Glasnet app for iPad")

ROOTS_NL = (
    "{brand} mijn internet ligt er al {duration} uit in {city}. Is er een storing?",
    "{brand} waarom is mijn factuur deze maand €{amount} hoger? Niks veranderd aan abonnement.",
    "Ik ga {when} verhuizen naar {city}, kan ik mijn abonnement meenemen? {brand}",
    "{brand} modem knippert oranje sinds de update van vannacht, al drie keer herstart",
    "Wifi op zolder is niet vooruit te branden. Werkt de versterker ook met de {modem}? {brand}",
    "Hoe zeg ik mijn abonnement op? Kan het nergens vinden in de app {brand}",
    "{brand} roaming werkt niet in {country}, wel een bundel gekocht. Help!",
    "Top service van {agent} vandaag, binnen tien minuten geholpen! {brand}",
    "{brand} tv-ontvanger geeft foutcode E{code} en beeld blijft zwart",
    "De monteur zou tussen 8 en 12 komen, het is nu {time} en nog niemand gezien {brand}",
    "Alweer storing bij Glasnet in {city}. Derde keer deze week, ik betaal wel gewoon door.",
    "{brand} bij het inloggen in Mijn Glasnet krijg ik steeds 'er ging iets mis'",
    "Glasvezel aangelegd maar de aansluiting in de meterkast doet niks. {brand} wat nu?",
    "{brand} is er een storing bij mobiel internet rond {city}? Geen 4G meer sinds {time}",
    "Dubbel afgeschreven deze maand {brand}, wie kan me helpen? Klantnummer in DM",
    "{brand} wanneer komt de nieuwe prijs voor het Alles-in-1 pakket? Vorige maand al aangekondigd",
    "Na de overstap naar Glasnet werkt mijn vaste nummer niet meer {brand}",
    "Is het normaal dat de snelheid 's avonds halveert? Meet {speed} Mbit van de 500 {brand}",
)  # fmt: skip
ROOTS_EN = (
    "{brand} my internet has been down for {duration} in {city}. Is there an outage?",
    "{brand} why is my bill €{amount} higher this month? Nothing changed on my plan.",
    "Moving to {city} {when_en}, can I take my Glasnet plan with me? {brand}",
    "{brand} router keeps blinking orange since last night's update, restarted it three times",
    "How do I cancel my subscription? Can't find it anywhere in the app {brand}",
    "{brand} roaming doesn't work in {country_en} even though I bought a bundle. Help!",
    "Great service from {agent} today, sorted in ten minutes! {brand}",
    "{brand} the engineer was due between 8 and 12, it's {time} and nobody showed up",
    "{brand} wifi drops every evening around {time}, working from home is impossible",
    "Charged twice this month {brand}, who can help? Customer number in DM",
)  # fmt: skip
REPLIES_NL = (
    "nog steeds niks hier",
    "Dank je, het werkt weer!",
    "DM gestuurd",
    "Postcode is {postcode}, huisnummer {num}",
    "Bij mij in {city} ook! #storing",
    "Hebben jullie al een idee hoe lang het nog duurt?",
    "Modem al drie keer herstart, zelfde probleem",
    "Oké, ik wacht het af. Graag een update als het opgelost is",
    "Dit is echt de derde keer deze maand, wat krijg ik als compensatie?",
    "Ik heb het nummer van de storing niet ontvangen",
    "Inmiddels weer verbinding, bedankt {agent}",
    "Zelfde hier, al sinds {time}",
    "Ik heb al gebeld maar hing {minutes} minuten in de wacht",
    "Klopt, de lampjes branden allemaal groen maar geen internet",
    "Waarom moet ik dit via Twitter vragen, de chat doet het niet",
)  # fmt: skip
REPLIES_EN = (
    "still nothing here",
    "Thanks, it's working again!",
    "Sent you a DM",
    "Same here in {city}",
    "Any idea how long this will take?",
    "Restarted the router three times, same problem",
    "Back online now, thanks {agent}",
    "Third time this month, what about compensation?",
)  # fmt: skip
DM_OPEN_NL = (
    "Hoi, mijn klantnummer is {klantnr}. Mijn internet doet het niet meer sinds {time}.",
    "Goedemiddag, ik heb een vraag over mijn factuur van {month}, daar staat €{amount} op.",
    "Hallo, ik verhuis {when} naar {postcode} {num} in {city}. Wat moet ik regelen?",
    "Ik wil graag mijn abonnement opzeggen. Klantnummer {klantnr}.",
    "Hoi! De monteur is niet geweest, afspraak stond op {when}.",
    "Hallo, roaming in {country} werkt niet. Nummer eindigt op {num}.",
    "Dag, mijn {modem} valt steeds uit. Serienummer staat op de foto.",
    "Hoi, kunnen jullie de storing in {city} bevestigen? Postcode {postcode}",
    "Ik krijg een foutmelding bij het betalen in de app. Klantnummer {klantnr}",
    "Goedemorgen, waarom is mijn snelheid zo laag? Haal maar {speed} Mbit.",
)  # fmt: skip
DM_OPEN_EN = (
    "Hi, my customer number is {klantnr}. Internet stopped working at {time}.",
    "Hello, question about my {month_en} bill, it says €{amount}.",
    "Hi, I'm moving to {postcode} {num} in {city} {when_en}. What do I need to do?",
    "I would like to cancel my subscription. Customer number {klantnr}.",
    "Hi, roaming in {country_en} isn't working. Number ends in {num}.",
    "Hello, my {modem} keeps disconnecting. Serial number is on the photo.",
)  # fmt: skip
DM_MORE_NL = (
    "Mijn postcode is {postcode} {num}",
    "Hier is een foto van het modem",
    "Ok, dank je wel!",
    "Wanneer komt de monteur dan?",
    "Klantnummer is {klantnr}",
    "Ik ben {when} de hele dag thuis",
    "Het lampje brandt nu rood",
    "Nog steeds niks helaas",
    "Top, het werkt weer 👍",
    "Kan ik ook gebeld worden? 06-{phone}",
    "Ik heb het modem gereset maar geen verschil",
    "Dat klopt, dat is het adres",
)  # fmt: skip
DM_MORE_EN = (
    "My postcode is {postcode} {num}",
    "Here's a photo of the router",
    "Ok, thanks!",
    "When will the engineer come?",
    "Customer number is {klantnr}",
    "Still nothing unfortunately",
)  # fmt: skip
REVIEWS_NL = {
    5: (
        "Super geholpen in de winkel in {city}, {agent} nam echt de tijd.",
        "Snelle installatie, monteur was keurig op tijd.",
        "Prima provider, nooit storing gehad.",
    ),
    4: (
        "Goede service, wel even wachten in de winkel.",
        "Internet is snel, app kan beter.",
    ),
    3: (
        "Gaat op zich prima, maar de prijs stijgt elk jaar.",
        "Wisselende ervaringen met de klantenservice.",
    ),
    2: (
        "Lang gewacht op een monteur, uiteindelijk wel opgelost.",
        "Factuur klopte niet en het duurde weken voor het rechtgezet werd.",
    ),
    1: (
        "Al {duration} geen internet en niemand neemt contact op. Nooit meer Glasnet.",
        "Opzeggen is onmogelijk gemaakt. Drie keer gebeld, drie keer een ander verhaal.",
        "Winkel in {city} stuurt me naar de klantenservice en die weer naar de winkel.",
    ),
}  # fmt: skip
REVIEWS_EN = {
    5: ("Very helpful staff in the {city} store.", "Quick installation, fast internet."),
    4: ("Good service, a bit of a wait in the shop.",),
    3: ("Fine, but prices go up every year.",),
    2: ("Waited weeks for an engineer.",),
    1: ("No internet for {duration}, nobody calls back. Avoid.",),
}  # fmt: skip
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (35, 15, 10, 10, 30)
EXTRA_NL = (
    "Ik werk thuis en heb het echt nodig.",
    "Graag snel een reactie.",
    "Ik heb al gebeld maar hing drie kwartier in de wacht.",
    "Mijn kinderen moeten morgen online examen doen.",
    "Volgens de storingspagina is er niks aan de hand, maar hier werkt echt niets.",
    "Ik ben al twaalf jaar klant, dit is de eerste keer dat ik zo ontevreden ben.",
    "Kunnen jullie me terugbellen?",
    "De chat op de website blijft hangen op 'een ogenblik geduld'.",
    "Buren hebben hetzelfde probleem.",
    "Zonder internet kan ik ook de app niet gebruiken, dus daarom via hier.",
    "Eerlijk gezegd denk ik erover om over te stappen.",
    "Alvast bedankt!",
)  # fmt: skip
EXTRA_EN = (
    "I work from home and really need it.",
    "Please get back to me soon.",
    "Called already but was on hold for 45 minutes.",
    "Could you call me back?",
    "Neighbours have the same problem.",
    "Thanks in advance!",
    "Honestly thinking about switching.",
)  # fmt: skip
EXTRA_COUNTS = (0, 1, 2, 3, 5)
EXTRA_WEIGHTS = (45, 30, 15, 7, 3)
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August")
WHEN_NL = ("volgende week", "op 1 maart", "morgen", "eind van de maand", "vrijdag")
WHEN_EN = ("next week", "on 1 March", "tomorrow", "at the end of the month", "on Friday")
DURATIONS = ("twee uur", "een halve dag", "drie dagen", "sinds gisteravond", "een week")
