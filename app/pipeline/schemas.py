"""Schemas: what lands (as the readers see it) and what every table holds.

Epoch seconds are always read as DOUBLE (a FLOAT keeps ~7 digits: an epoch
second of 1678451168 becomes 1678451200), and become TIMESTAMP (microseconds)
in silver, so a 08:05:00 -> 09:10:00 session is exactly 65.0 minutes.
"""

from __future__ import annotations

# --- landing formats (what landing.check parses each text line into; bronze reads text)
REGISTERED_USERS = (
    "user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp DOUBLE"
)
GYM_LOGINS = "mac_address STRING, gym BIGINT, login DOUBLE, logout DOUBLE"
# `timestamp` is BIGINT in the table; it is read as DOUBLE so that 1678451168000.0
# loads like 1678451168000.
KAFKA_RECORD = (
    "key STRING, value STRING, topic STRING, `partition` BIGINT, `offset` BIGINT, "
    "`timestamp` DOUBLE"
)
LANDING_SCHEMAS = {
    "registered_users_bz": REGISTERED_USERS,
    "gym_logins_bz": GYM_LOGINS,
    "kafka_multiplex_bz": KAFKA_RECORD,
}
# Fields a record cannot do without (else it is quarantined).
REQUIRED = {
    "registered_users_bz": ("user_id", "device_id", "mac_address", "registration_timestamp"),
    "gym_logins_bz": ("mac_address", "gym", "login"),
    "kafka_multiplex_bz": ("value", "topic", "timestamp"),
}

# --- the JSON documents inside the Kafka `value`, per topic
VALUE_SCHEMAS = {
    "user_info": (
        "user_id BIGINT, update_type STRING, `timestamp` DOUBLE, dob STRING, sex STRING, "
        "gender STRING, first_name STRING, last_name STRING, "
        "address STRUCT<street_address: STRING, city: STRING, state: STRING, zip: INT>"
    ),
    "workout": (
        "user_id INT, workout_id INT, `timestamp` DOUBLE, action STRING, session_id INT"
    ),
    "bpm": "device_id BIGINT, time TIMESTAMP, heartrate DOUBLE",
}
VALUE_REQUIRED = {
    "user_info": ("user_id", "update_type", "timestamp"),
    "workout": ("user_id", "workout_id", "timestamp", "action", "session_id"),
    "bpm": ("device_id", "time", "heartrate"),
}

DATE_LOOKUP_JSON = (
    "date STRING, week STRING, year STRING, month STRING, dayofweek STRING, "
    "dayofmonth STRING, dayofyear STRING, week_part STRING"
)

_AUDIT = "load_time TIMESTAMP, source_file STRING"

# --- tables: columns DDL and partitioning
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "registered_users_bz": (
        f"user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp DOUBLE, "
        f"{_AUDIT}",
        (),
    ),
    "gym_logins_bz": (
        f"mac_address STRING, gym BIGINT, login DOUBLE, logout DOUBLE, {_AUDIT}",
        (),
    ),
    "kafka_multiplex_bz": (
        "key STRING, value STRING, topic STRING, `partition` BIGINT, `offset` BIGINT, "
        f"`timestamp` BIGINT, date DATE, week_part STRING, {_AUDIT}",
        ("topic", "week_part"),
    ),
    "quarantine": (
        "target_table STRING, source_file STRING, raw STRING, reason STRING, "
        "load_time TIMESTAMP",
        ("target_table",),
    ),
    "date_lookup": (
        "date DATE, week INT, year INT, month INT, dayofweek INT, dayofmonth INT, "
        "dayofyear INT, week_part STRING",
        (),
    ),
    "users": (
        "user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp TIMESTAMP",
        (),
    ),
    "gym_logs": ("mac_address STRING, gym BIGINT, login TIMESTAMP, logout TIMESTAMP", ()),
    "user_profile": (
        "user_id BIGINT, dob DATE, sex STRING, gender STRING, first_name STRING, "
        "last_name STRING, street_address STRING, city STRING, state STRING, zip INT, "
        "updated TIMESTAMP",
        (),
    ),
    "heart_rate": ("device_id BIGINT, time TIMESTAMP, heartrate DOUBLE, valid BOOLEAN", ()),
    "workouts": (
        "user_id BIGINT, workout_id INT, time TIMESTAMP, action STRING, session_id INT",
        (),
    ),
    "completed_workouts": (
        "user_id BIGINT, workout_id INT, session_id INT, start_time TIMESTAMP, end_time TIMESTAMP",
        (),
    ),
    "workout_bpm": (
        "user_id BIGINT, workout_id INT, session_id INT, start_time TIMESTAMP, "
        "end_time TIMESTAMP, time TIMESTAMP, heartrate DOUBLE",
        (),
    ),
    "user_bins": ("user_id BIGINT, age STRING, gender STRING, city STRING, state STRING", ()),
    "workout_bpm_summary": (
        "workout_id INT, session_id INT, user_id BIGINT, age STRING, gender STRING, "
        "city STRING, state STRING, min_bpm DOUBLE, avg_bpm DOUBLE, max_bpm DOUBLE, "
        "num_recordings BIGINT",
        (),
    ),
}
