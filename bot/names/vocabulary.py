"""The word lists of name parsing: particles, titles, degrees and generational suffixes.

All lower-case and accent-free, compared with a word's letters only (`Ph.D.` -> `phd`). The
lists are short on purpose: a word here is taken out of names, so one that is also a given name
or a surname somewhere (`King`, `Dean`, `Meng`, `Ma`) either stays out or is only trusted
where it cannot be a name (see `bot.names.affixes`).
"""

from __future__ import annotations

# Particles that are (practically) never a given name: kept in the surname even when nothing
# else is left for a given name ("Del Maestro" is a surname). `st`/`ste` are Saint/Sainte.
STRONG_PARTICLES = frozenset(
    {
        "del",
        "della",
        "delle",
        "dello",
        "degli",
        "dei",
        "der",
        "den",
        "von",
        "vom",
        "zum",
        "zur",
        "ter",
        "ten",
        "st",
        "ste",
    }
)
# Particles that are also given names in some languages ("Di Wang", "Le Song", "Van Nguyen").
WEAK_PARTICLES = frozenset(
    {
        "van",
        "de",
        "da",
        "di",
        "do",
        "dos",
        "das",
        "du",
        "des",
        "la",
        "le",
        "lo",
        "el",
        "al",
        "dal",
        "dalla",
        "bin",
        "ibn",
        "zu",
        "af",
        "av",
        "y",
    }
)
PARTICLES = STRONG_PARTICLES | WEAK_PARTICLES

# Titles before a name. None is a given name, so one is dropped even with a dot (`Dr.`).
TITLES = frozenset(
    {
        "dr",
        "drs",
        "prof",
        "professor",
        "mr",
        "mrs",
        "ms",
        "mx",
        "miss",
        "mme",
        "mlle",
        "rev",
        "revd",
        "reverend",
        "fr",
        "sir",
        "dame",
        "lord",
        "lady",
        "dott",
        "msgr",
        "rabbi",
        "capt",
        "col",
        "lt",
        "maj",
        "sgt",
        "cmdr",
        "adm",
    }
)
# Titles only when written with a dot (`Ing. Jan Novák`, `Dr.-Ing.`, `Gen.`): bare, `Hon`,
# `Ing` and `Gen` are given names.
DOTTED_TITLES = frozenset({"ing", "ir", "dipl", "univ", "mag", "hon", "gen"})
# The field of a German doctorate, dotted after a title (`Dr. rer. nat.`, `Dr. med. dent.`).
DOCTORATE_FIELDS = frozenset(
    {"rer", "nat", "med", "dent", "phil", "jur", "oec", "pol", "techn", "hc", "habil", "mult"}
)

# Generational suffixes. `v` is also an initial, so it is only trusted after a full name.
SUFFIXES = frozenset({"jr", "jnr", "sr", "snr", "ii", "iii", "iv", "v"})

# Degrees, professional credentials and honours that no name word spells.
DEGREES = frozenset(
    {
        "phd",
        "dphil",
        "scd",
        "dsc",
        "md",
        "mbbs",
        "mbchb",
        "dds",
        "dmd",
        "dvm",
        "pharmd",
        "psyd",
        "edd",
        "dnp",
        "msc",
        "bsc",
        "mphil",
        "mba",
        "mph",
        "mpa",
        "mpp",
        "mfa",
        "llb",
        "llm",
        "rn",
        "cpa",
        "cfa",
        "cfp",
        "clu",
        "chfc",
        "lutc",
        "esq",
        "frs",
        "frse",
        "frsc",
        "frcp",
        "frcs",
        "facs",
        "facp",
        "fmedsci",
        "freng",
        "faaas",
        "fieee",
        "obe",
        "mbe",
        "cbe",
        "kbe",
        "dbe",
    }
)
# Degrees spelled like a name word (`Yi MA`, `Anh DO`, `Xiao MENG`): a degree only with dots
# (`M.A.`) or alone after a comma (`Jane Roe, MA`).
NAME_LIKE_DEGREES = frozenset({"ma", "ms", "ba", "bs", "ab", "do", "ed", "jd", "pe", "dc", "meng"})
