# ruff: noqa: E501  (patterns read best unbroken)
"""The offline engine's lexicon: weighted patterns per category.

Each entry is a regular expression over *normalized* text (lower case, leetspeak and
look-alikes folded, letters repeated 3+ times cut to 1, see ``_engine.normalize``) and a
weight in (0, 1]: the score a single match gives its category. Weights say how sure a
match is: a slur or an explicit threat is near 1; a word with innocent uses ("kill",
"shoot", "breast") does not appear alone, only in phrases that carry the harm.

Slurs are stored ROT13-encoded so the source does not display them; they are decoded
once at import.
"""

from __future__ import annotations

import codecs

Lexicon = dict[str, list[tuple[str, float]]]

_SLURS_ROT13 = (
    "avttre avttref xvxr xvxrf fcvp fcvpf puvax puvaxf snttbg snttbgf genaal genaavrf "
    "jrgonpx jrgonpxf enturnq enturnqf tbbx tbbxf gbjryurnq pbba pbbaf qlxr ergneq ergneqf"
)
SLURS = codecs.decode(_SLURS_ROT13, "rot13").split()

_GROUPS = (
    r"(?:jews?|muslims?|christians?|blacks?|whites?|asians?|mexicans?|immigrants?|refugees?"
    r"|gays?|lesbians?|trans(?:gender)? (?:people|women|men)|women|arabs?|africans?"
    r"|indians?|chinese|hindus?|sikhs?|catholics?|latinos?|migrants?|foreigners)"
)
_PEOPLE = r"(?:you|u|him|her|them|everyone|everybody|people|someone|anybody|ur (?:family|kids))"
_SELF = r"(?:myself|my ?self|my life|it all)"

LEXICON: Lexicon = {
    "hate": [
        (r"\b(?:" + "|".join(SLURS) + r")\b", 0.95),
        (
            rf"\b(?:all |those |these |the |filthy |dirty )?{_GROUPS} (?:are|r) (?:all )?"
            r"(?:vermin|animals|subhuman|parasites|rats|cockroaches|a disease|a plague|scum"
            r"|inferior|savages|filth|evil|the problem)\b",
            0.9,
        ),
        (
            rf"\b{_GROUPS} (?:should|must|need to|deserve to) (?:all )?(?:die|be (?:killed|"
            r"exterminated|gassed|deported|wiped out|eliminated)|burn|hang)\b",
            0.95,
        ),
        (rf"\b(?:kill|exterminate|gas|wipe out|get rid of) (?:all )?(?:the )?{_GROUPS}\b", 0.95),
        (rf"\b(?:i )?hate (?:all )?(?:the |those )?{_GROUPS}\b", 0.8),
        (
            r"\b(?:white power|heil hitler|sieg heil|14 ?88|race traitors?|great replacement)\b",
            0.85,
        ),
        (r"\bgo back to (?:your|ur) (?:own )?(?:country|jungle|desert|cave)\b", 0.8),
    ],
    "harassment": [
        (
            r"\b(?:you(?:'re| are)?|ur|u r|you r) (?:such )?(?:an? |the )?(?:(?:fucking|stupid|"
            r"worthless|pathetic|ugly|fat|disgusting|useless) )*(?:idiot|moron|imbecile|loser|"
            r"piece of (?:shit|garbage|trash)|waste of (?:space|oxygen|air)|pathetic|worthless|"
            r"disgusting|stupid|dumb|freak|clown|joke|failure|nobody|scum|trash|garbage|pig)\b",
            0.8,
        ),
        (r"\b(?:nobody|no one) (?:likes|loves|wants|cares about) (?:you|u)\b", 0.8),
        (r"\b(?:shut (?:the fuck |tf )?up|stfu)\b", 0.6),
        (r"\b(?:go (?:to hell|die|away and die)|drop dead|get lost,? loser)\b", 0.85),
        (r"\b(?:kys|kill (?:your ?self|urself|yourself))\b", 0.95),
        (r"\b(?:i(?:'ll| will) (?:find|doxx?|expose|ruin|destroy) (?:you|u|ur|your))\b", 0.85),
        (r"\b(?:i know where (?:you|u) live)\b", 0.9),
        (r"\b(?:you|u) (?:should|deserve to) (?:be ashamed|suffer|rot)\b", 0.75),
        (r"\b(?:everyone|everybody) (?:hates|laughs at) (?:you|u)\b", 0.8),
    ],
    "violence": [
        (
            rf"\b(?:i(?:'m| am)? (?:going to|gonna|will|'ll)|i'll|i want to|let's|we (?:will|should))"
            rf" (?:kill|murder|stab|shoot|strangle|behead|torture|beat|hurt|slaughter|attack|"
            rf"bomb|blow up|burn|rape) {_PEOPLE}\b",
            0.95,
        ),
        (
            r"\b(?:kill|murder|stab|shoot|strangle|behead|torture|slaughter) (?:you|u|him|her|them)\b",
            0.85,
        ),
        (
            r"\b(?:shoot up|bomb|blow up|attack) (?:a |the |my |our |this |that )?(?:school|church|mosque|"
            r"synagogue|temple|mall|office|concert|stadium|airport|hospital|building|crowd)\b",
            0.95,
        ),
        (
            r"\b(?:how (?:to|do i|can i)|instructions (?:for|to)|steps to) (?:make|making|build|building|"
            r"assemble|assembling) (?:a |an )?(?:pipe ?bomb|bomb|explosive|ied|molotov)",
            0.9,
        ),
        (
            rf"\b(?:kill|exterminate|gas|wipe out|slaughter|shoot) (?:all )?(?:the )?{_GROUPS}\b"
            rf"|\b{_GROUPS} (?:should|must|need to|deserve to) (?:all )?(?:die|be (?:killed|"
            r"exterminated|gassed|shot|wiped out))\b",
            0.9,
        ),
        (
            r"\b(?:mass shooting|school shooting|massacre|genocide) (?:is|was|would be) (?:good|great|fun|justified|deserved)\b",
            0.95,
        ),
        (r"\b(?:beat|punch|kick) (?:the shit|the crap|the hell|the life) out of\b", 0.8),
        (r"\b(?:slit|cut) (?:your|his|her|their) throats?\b", 0.95),
        (r"\b(?:you(?:'re| are)|ur) (?:dead|going to die|gonna die)\b", 0.8),
        (r"\b(?:death threat|will be shot|will get shot|put a bullet in)\b", 0.85),
    ],
    "self_harm": [
        (rf"\b(?:kill|hurt|cut|harm|hang|drown|starve|shoot) {_SELF}\b", 0.95),
        (r"\b(?:end|take) (?:my (?:own )?life(?! savings| insurance| story)|it all)\b", 0.9),
        (r"\b(?:i )?(?:want|wanna|going|gonna|plan(?:ning)?) (?:to )?die\b", 0.85),
        (r"\b(?:suicidal|commit(?:ting)? suicide|suicide plan|kill myself)\b", 0.9),
        (r"\b(?:don't|do not|dont) want to (?:live|be alive|exist)(?: anymore)?\b", 0.9),
        (r"\bbetter off (?:dead|without me)\b", 0.9),
        (
            r"\b(?:how (?:many|much) (?:pills|sleeping pills|tylenol|paracetamol) (?:to|would|will) (?:die|kill|overdose))",
            0.95,
        ),
        (r"\b(?:painless|easiest|quickest) way to (?:die|kill (?:my ?self|yourself))\b", 0.95),
        (r"\b(?:cutting myself|burn(?:ing)? myself)\b", 0.8),
        (r"\bself[- ]harm(?:ing)?\b", 0.45),  # alone it is a topic, not an intent
        (r"\b(?:pro[- ]?ana|thinspo|purge after every meal)\b", 0.75),
    ],
    "sexual": [
        (
            r"\b(?:porn|porno|pornography|hentai|xxx|blowjob|handjob|rimjob|cumshot|creampie|"
            r"deepthroat|gangbang|bukkake|dildo|fleshlight|milf|nsfw pics|onlyfans leaks?)\b",
            0.85,
        ),
        (r"\b(?:send (?:me )?(?:nudes|naked (?:pics|photos)|dick pics?|tit pics))\b", 0.9),
        (r"\b(?:suck|lick) (?:my|your|his|her) (?:dick|cock|pussy|tits|balls|clit)\b", 0.95),
        (r"\b(?:fuck|fucking|bang|screw) (?:me|you|her|him) (?:hard|raw|senseless)\b", 0.9),
        (r"\b(?:wanna|want to|let's|lets) (?:fuck|have sex|hook up and fuck)\b", 0.85),
        (r"\b(?:horny|wet pussy|hard cock|big dick|naked body|erotic roleplay|sexting)\b", 0.8),
        (r"\b(?:masturbat(?:e|ing|ion)|orgasm(?:s|ed|ing)?|ejaculat(?:e|ing|ion))\b", 0.6),
        (r"\b(?:cock|pussy|tits|boobs|cunt)\b", 0.45),  # alone: birds, willows, roosters
    ],
    "profanity": [
        (
            r"\b(?:fuck(?:s|ed|er|ers|ing|in|off)?|motherfuck(?:er|ers|ing)?|fck|fuk|fking|wtf)\b",
            0.8,
        ),
        (r"\b(?:shit(?:s|ty|head|hole|show)?|bullshit|horseshit|dipshit)\b", 0.7),
        (
            r"\b(?:bitch(?:es|y)?|son of a bitch|asshole(?:s)?|arsehole|bastard(?:s)?|dickhead|"
            r"douche(?:bag)?|jackass|prick|twat|wanker|bollocks|cunt)\b",
            0.75,
        ),
        (
            r"\b(?:damn(?:ed|it)?|goddamn|crap(?:py)?|piss(?:ed)?(?: off)?|hell no|bloody hell)\b",
            0.35,
        ),
    ],
}
