# One row per line of the data folder's customer_channels.csv (real opt-ins: user_id, channel);
# empty without the file, and customer_channels then simulates the reach. recsys.sources checks
# the file (ids, known channels, known customers) and reads it in place.
from recsys import sources


def model(dbt, session):
    return sources.read("customer_channels", dbt.config.get("data_dir"), session)
