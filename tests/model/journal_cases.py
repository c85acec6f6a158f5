"""Journal-style entries with an obvious dominant emotion, for the directional checks of tests/model.

ISSUE_CASES are the six entries the shipped model got wrong before it learned from natural text
(issue #18); JOURNAL_CASES were written for these checks before the multi-domain model was scored on
them, six per label, most of them without the emotion's own word.
"""

ISSUE_CASES = [
    ("We finally got the keys to our first home!!", "joy"),
    ("I miss my grandmother so much today.", "sadness"),
    ("I have a biopsy tomorrow and I can't stop thinking about what they'll find.", "fear"),
    ("I can't believe she flew across the country just to surprise me for my birthday!", "surprise"),
    ("I keep hearing noises downstairs and I'm home alone.", "fear"),
    ("My daughter said her first word today and I just melted.", "love"),
]

JOURNAL_CASES = [
    # sadness
    ("Cleared out Dad's closet this afternoon. Kept the blue sweater. Couldn't do the rest.", "sadness"),
    ("Nobody remembered my birthday this year, not even my sister.", "sadness"),
    ("The house is so quiet since the kids moved out. I set four plates by habit again.", "sadness"),
    ("Didn't get the job. Third rejection this month. Just lay on the couch all evening.", "sadness"),
    ("We had to put Biscuit down today. His leash is still hanging by the door.", "sadness"),
    ("i cried in the car before work again, everything just feels heavy lately", "sadness"),
    # joy
    ("PASSED MY DRIVING TEST!!! first try!!!", "joy"),
    ("Got the promotion today. Took myself out for sushi to celebrate.", "joy"),
    ("Sunday morning, coffee on the balcony, nowhere to be. Perfect.", "joy"),
    ("The scan came back clear. I can finally breathe again.", "joy"),
    ("Our team won the league final tonight and I scored the last goal, still grinning", "joy"),
    ("Finished my first marathon today! Legs are dead but I did it.", "joy"),
    # love
    ("Watching my husband read bedtime stories to our son in silly voices. I'm the luckiest person alive.", "love"),
    ("Mom called just to hear my voice. I adore that woman.", "love"),
    ("Fifty years married today and he still holds my hand when we cross the street.", "love"),
    ("My best friend drove three hours just to sit with me at the hospital. I don't know what I'd do without her.", "love"),
    ("The puppy fell asleep on my chest and I didn't move for two hours. Worth it.", "love"),
    ("Every time she laughs my whole day gets better. I think I'm falling for her.", "love"),
    # anger
    ("My landlord kept the whole deposit again for 'cleaning'. The place was spotless.", "anger"),
    ("Coworker presented MY project as his own in front of the whole team. Unbelievable.", "anger"),
    ("Third time this week the neighbours' party went on past 2am. I'm done being polite.", "anger"),
    ("Spent two hours on hold just to be hung up on. This company is a joke.", "anger"),
    ("He cancelled on me again, ten minutes before, with a text. Again.", "anger"),
    ("someone keyed my car in the parking lot and just drove off. so mad i could scream", "anger"),
    # fear
    ("Test results come back Friday. I keep checking my phone every five minutes.", "fear"),
    ("There are layoffs announced for next week and my manager won't look me in the eye.", "fear"),
    ("The turbulence would not stop and I gripped the armrest the whole flight.", "fear"),
    ("My son hasn't answered his phone since last night and it's not like him at all.", "fear"),
    ("Presentation to the board tomorrow. My hands are shaking just thinking about it.", "fear"),
    ("A car followed me from the station all the way to my street. I'm terrified to go out now.", "fear"),
    # surprise
    ("Opened the door and the whole office was there with a cake. I had no idea!", "surprise"),
    ("Turns out my quiet neighbour used to be a professional opera singer. Never would have guessed.", "surprise"),
    ("Found a hundred dollar bill in an old coat pocket. Where did THAT come from?", "surprise"),
    ("My brother just announced he's getting married next month. We didn't even know he was dating anyone!", "surprise"),
    ("The shy kid in my class won the school talent show with a drum solo. Jaw on the floor.", "surprise"),
    ("Wait, the restaurant we went to on our first date is the one my parents met at? No way.", "surprise"),
]
