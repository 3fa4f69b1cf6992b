"""Held-back corpus for the named-client detector: written before any rule, never tuned against.

A third of each names corpus (the tuning two thirds are in `tests/privacy_names_corpus.py`). These
sentences were written before `bot.services.privacy_names` existed and must not be used to adjust
its rules or word lists; the figures on them are reported (bench/privacy_names.py, the README) as
they fall. Only this file's own mistakes (a sentence that is not what its list says) may be fixed.
"""

from __future__ import annotations

# Someone the partnership supports, named, with something that singles them out.
HOLDOUT_CLIENTS: list[str] = [
    "Our client Dawit Haile, 17, has been told he must leave his foster placement on Friday.",
    "Can anyone take a referral for Mrs Shirin Karimi? She is pregnant and has nowhere to stay.",
    "Young person Kyle Mitchell (16) went missing from his supported lodgings last night.",
    "Amina Yusuf was detained at Dungavel this morning after reporting at Brand Street.",
    "Service user Tomasz Nowak has been evicted and is sleeping in his car.",
    "Care leaver Shannon O'Neill, aged 19, has been diagnosed with depression and needs a GP.",
    "Mr Hassan Ali's asylum claim was refused yesterday and he is very low.",
    "YP Bilal Ahmadi (15) disclosed self-harm to his key worker on Monday.",
    "Please keep an eye out for Jade Robertson, she has gone missing from the hostel again.",
    "Unaccompanied minor Yonas Tesfamariam arrived in Glasgow last week and has no guardian.",
    "Tenant Gary McLean is facing eviction at the end of the month because of rent arrears.",
    "Our resident Ms Leyla Osman has been admitted to the Royal Infirmary with pneumonia.",
    "Asylum seeker Karim Mansour was arrested at the weekend and is still in custody.",
    "Fatima Noori, 22, is pregnant and her section 95 support has been stopped.",
    "The Ahmadzai family were moved to a hotel in Falkirk without notice on Tuesday.",
    "Miss Chloe Duncan has a diagnosis of epilepsy and her new flat has no smoke alarm.",
    "We think Samir Haddad may have been trafficked; he will not say who brought him here.",
    "Client Grace Mensah, 34, was refused leave to remain and is appealing the decision.",
    "Daniel Ferguson (18) left care last month and has been sofa surfing since.",
    "Can someone with a Tigrinya interpreter see Selam Gebre? She has been self-harming.",
    "Mr Ion Popescu has diabetes and has run out of insulin since his support ended.",
    "Young person Aisha Bakr is being assessed for PTSD after the Home Office interview.",
    "Family support needed: the Nazari family have had their asylum claim refused.",
    "Our service user Robert Kerr, 58, was released from prison yesterday with nowhere to go.",
    "Resident Maryam Sadiq has been diagnosed with tuberculosis and must isolate.",
    "Hamid Rahimi has been sleeping rough since his hostel place ended on Monday.",
    "Care leaver Megan Stewart (20) is expecting a baby in March and needs a midwife.",
    "Mrs Roza Hussein's husband has been detained and she is alone with three children.",
    "Zainab Kamara, aged 16, is an unaccompanied minor whose age is being disputed.",
    "Our client Emmanuel Okafor has been given a negative conclusive grounds decision.",
    "Tenant Lisa Campbell has reported domestic abuse and needs an urgent move.",
    "Ali Reza (17) was arrested outside the college and has been charged with theft.",
    "Mr Gezim Hoxha is in hospital after a suicide attempt at his asylum accommodation.",
    "Young person Ruth Kidane, 15, has gone missing and police have been informed.",
    "Service user Andrew Gillespie has schizophrenia and is being evicted from his tenancy.",
]

# Ordinary partnership updates that name staff, speakers, funders, places and organisations.
HOLDOUT_ORDINARY: list[str] = [
    "Priya from Bridges will lead the GP registration training on Thursday.",
    "Welcome to Tariq Hussain, who joins the Refugee Council as housing caseworker.",
    "Thanks to Dr Helen Murray for a brilliant session on trauma-informed care.",
    "Joanna Reid has moved to the Govan office, her Slack handle is unchanged.",
    "Mohammed at Maryhill Integration Network is running the ESOL taster next week.",
    "Sarah Campbell is on leave until 12 January; please contact Ahmed in the meantime.",
    "The St Mungo's outreach team will be at Glasgow Central on Wednesday night.",
    "Our speaker at the network lunch is Councillor Fiona Grant on the housing strategy.",
    "Rosa Parks House has two rooms free for women leaving the asylum system.",
    "Many thanks to the Robertson Trust for funding our youth work for another year.",
    "Kate from Shelter Scotland is happy to answer questions about the new eviction rules.",
    "Dr Nadia Saleh will talk about perinatal mental health at the February forum.",
    "Mr Adams from the council's homelessness team will attend the next meeting.",
    "The Mary Barbour room at the community centre is booked for the care leavers' lunch.",
    "Ewan Fraser has taken over as coordinator; send him your agenda items.",
    "Hannah and Yusuf from Positive Action in Housing ran a great session on tenancy rights.",
    "Amal Mohamed is our new women's health worker and speaks Arabic and Somali.",
    "The Ferguson Foundation has opened its small grants round for refugee-led groups.",
    "Thanks to Lucy at the Kings Cross Surgery for registering twelve new patients this month.",
    "Matteo Rossi from JustRight Scotland will explain the new immigration rules on Friday.",
    "Angela Morrison is running suicide prevention training for front-line staff in March.",
    "Join us at St Andrew's in the Square for the Refugee Festival opening on 14 June.",
    "The Helen Bamber Foundation has published a new guide on supporting trafficking survivors.",
    "Gordon from Crisis will cover the drop-in while Nicola is at the conference.",
    "Our volunteer coordinator Farah Ahmed is looking for Dari speakers to help at the clinic.",
    "Well done to Chris and the team at Aberlour for the care leavers' awards night.",
    "Professor Alison Phipps will give the keynote at the New Scots conference.",
    "Rachel Kelly is the new named nurse for looked-after children in the north east.",
    "The Simon Community's street team, led by Paul Docherty, now covers the South Side.",
    "Ask Kamal at the Govanhill Baths if you need a room for the Tuesday group.",
    "Maria from the Scottish Refugee Council has updated the asylum support factsheet.",
    "Thank you Jenny Walsh for twenty years at the Citizens Advice Bureau, enjoy retirement!",
    "Our new trustee is Abdul Karim, a former caseworker with Migrant Help.",
    "Claire MacDonald will share what the health board is doing on mental health waiting lists.",
    "The Nelson Mandela Place offices are closed on Monday for a fire alarm test.",
]
