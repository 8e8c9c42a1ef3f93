"""Auto Loader options: parsed, checked and sorted into what the local stand-in does with them.

Three kinds of ``cloudFiles.*`` option (docs/autoloader.md lists each one):

- emulated: they change what a stream reads, and the stand-in does what the
  Auto Loader documentation says (schema location, inference, hints,
  evolution modes, existing files, trigger limits);
- infrastructure: they only tune how Databricks discovers files (queues,
  notifications, listing strategy, tags). Locally files are always found by
  listing, so these are logged and ignored: the result is the same;
- everything else: refused with ``CloudFilesOptionError`` naming the option,
  because ignoring an option that changes results would let code pass here
  and behave differently on Databricks.

Options without the ``cloudFiles.`` prefix are the format's own (``header``,
``sep``, ``pathGlobFilter`` ...) and go to Spark's reader unchanged, except
``rescuedDataColumn`` and ``readerCaseSensitive``, which Auto Loader defines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from app.platform.errors import CloudFilesOptionError

log = logging.getLogger(__name__)

PREFIX = "cloudfiles."
# Auto Loader's documented defaults (options page).
DEFAULT_MAX_FILES_PER_TRIGGER = 1000
DEFAULT_SAMPLE_FILES = 1000
DEFAULT_SAMPLE_BYTES = 50 << 30  # 50 GB
DEFAULT_RESCUED_COLUMN = "_rescued_data"
EVOLUTION_MODES = {
    "addnewcolumns": "addNewColumns",
    "rescue": "rescue",
    "failonnewcolumns": "failOnNewColumns",
    "none": "none",
}
# Formats whose schema the stand-in infers, evolves and rescues (as Auto Loader
# does for all versions); others are read by Spark's file source as they are.
INFERRED_FORMATS = ("json", "csv")
FORMATS = ("json", "csv", "text", "parquet", "avro", "orc", "binaryfile", "xml")

# Only about how Databricks finds files and which cloud resources it uses.
_INFRASTRUCTURE = {
    "usenotifications",
    "usemanagedfileevents",
    "useincrementallisting",
    "backfillinterval",
    "fetchparallelism",
    "pathrewrites",
    "maxfileage",
    "validateoptions",
    "queueurl",
    "queuename",
    "subscriptionid",
    "tenantid",
    "clientid",
    "clientsecret",
    "connectionstring",
    "resourcegroup",
    "region",
    "roleArn".lower(),
    "roleexternalid",
    "rolesessionname",
    "stsendpoint",
    "projectid",
    "subscription",
}
_INFRASTRUCTURE_PREFIXES = ("resourcetag.",)

_BYTE_UNITS = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}


@dataclass(frozen=True)
class AutoLoaderOptions:
    """One Auto Loader read's options, checked. ``reader`` holds the format's own options."""

    format: str
    schema_location: str | None = None
    infer_column_types: bool = False
    schema_hints: str | None = None
    evolution_mode: str | None = None  # None: the documented default for the read
    rescued_column: str | None = None
    include_existing_files: bool = True
    max_files_per_trigger: int | None = None
    max_bytes_per_trigger: int | None = None
    sample_files: int = DEFAULT_SAMPLE_FILES
    sample_bytes: int = DEFAULT_SAMPLE_BYTES
    reader: dict[str, str] = field(default_factory=dict)

    def mode(self, schema_given: bool) -> str:
        """The schema evolution mode in force: Auto Loader's default is addNewColumns when
        it infers, none when the read gives a schema."""
        if self.evolution_mode is not None:
            return self.evolution_mode
        return "none" if schema_given else "addNewColumns"

    def rescued(self, schema_given: bool) -> str | None:
        """The rescued-data column: as set, else ``_rescued_data`` for JSON and CSV in mode
        rescue, or when the schema is inferred (mode none rescues only when asked)."""
        if self.rescued_column:
            return self.rescued_column
        mode = self.mode(schema_given)
        if self.format not in INFERRED_FORMATS or mode == "none":
            return None  # text, binaryFile: fixed schema; parquet ...: not emulated
        if mode == "rescue" or not schema_given:
            return DEFAULT_RESCUED_COLUMN
        return None

    def file_source_limits(self) -> dict[str, str]:
        """The file source's trigger limit. Auto Loader stops a batch at whichever limit it
        reaches first; Spark's file source refuses both at once, so the byte limit wins:
        it bounds a batch's size whatever the files hold."""
        if self.max_bytes_per_trigger is not None:
            return {"maxBytesPerTrigger": str(self.max_bytes_per_trigger)}
        files = self.max_files_per_trigger or DEFAULT_MAX_FILES_PER_TRIGGER
        return {"maxFilesPerTrigger": str(files)}


def byte_count(text: str, option: str = "cloudFiles.maxBytesPerTrigger") -> int:
    """Auto Loader's byte strings (``10g``, ``512m``, ``1048576``) as a number of bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)b?\s*", text.lower())
    if not match:
        raise CloudFilesOptionError(
            f"{option}={text!r} is not a byte size (e.g. 10g, 512m, 1048576)"
        )
    return int(match[1]) << _BYTE_UNITS[match[2]]


def _boolean(key: str, value: str) -> bool:
    low = value.strip().lower()
    if low not in ("true", "false"):
        raise CloudFilesOptionError(f"{key}={value!r} must be true or false")
    return low == "true"


def _positive(key: str, value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise CloudFilesOptionError(f"{key}={value!r} must be a positive whole number")
    return int(value)


def parse(options: dict[str, str]) -> AutoLoaderOptions:
    """Check every option of a cloudFiles read and sort it (see the module docstring).

    Raises:
        CloudFilesOptionError: a missing ``cloudFiles.format``, an invalid value,
            or an option the stand-in does not emulate (the message names it).
    """
    parsed: dict[str, object] = {}
    reader: dict[str, str] = {}
    for key, value in options.items():
        low = key.lower()
        if not low.startswith(PREFIX):
            if low == "rescueddatacolumn":
                parsed["rescued_column"] = value
            elif low == "readercasesensitive":
                if not _boolean(key, value):
                    raise CloudFilesOptionError(
                        "readerCaseSensitive=false is not emulated by the local cloudFiles "
                        "stand-in: columns are matched case-sensitively and case mismatches "
                        "go to the rescued-data column (Auto Loader's default)"
                    )
            elif low == "multiline" and _boolean(key, value):
                raise CloudFilesOptionError(
                    "multiLine=true is not emulated by the local cloudFiles stand-in: it reads "
                    "JSON Lines (one record per line). Land one record per line, or test this "
                    "read on Databricks"
                )
            else:
                reader[key] = value
            continue
        name = low[len(PREFIX) :]
        if name == "format":
            if value.lower() not in FORMATS:
                raise CloudFilesOptionError(
                    f"cloudFiles.format={value!r} is not a format Auto Loader reads "
                    f"({', '.join(FORMATS)})"
                )
            parsed["format"] = value.lower()
        elif name == "schemalocation":
            parsed["schema_location"] = value.rstrip("/")
        elif name == "infercolumntypes":
            parsed["infer_column_types"] = _boolean(key, value)
        elif name == "schemahints":
            parsed["schema_hints"] = value
        elif name == "schemaevolutionmode":
            mode = EVOLUTION_MODES.get(value.strip().lower())
            if mode is None:
                raise CloudFilesOptionError(
                    f"cloudFiles.schemaEvolutionMode={value!r} is not emulated; the stand-in "
                    f"knows {', '.join(EVOLUTION_MODES.values())}"
                )
            parsed["evolution_mode"] = mode
        elif name == "includeexistingfiles":
            parsed["include_existing_files"] = _boolean(key, value)
        elif name == "maxfilespertrigger":
            parsed["max_files_per_trigger"] = _positive(key, value)
        elif name == "maxbytespertrigger":
            parsed["max_bytes_per_trigger"] = byte_count(value, key)
        elif name == "schemainference.samplesize.numfiles":
            parsed["sample_files"] = _positive(key, value)
        elif name == "schemainference.samplesize.numbytes":
            parsed["sample_bytes"] = byte_count(value, key)
        elif name == "cleansource":
            if value.strip().upper() != "OFF":
                raise CloudFilesOptionError(
                    f"cloudFiles.cleanSource={value!r} is not emulated by the local cloudFiles "
                    "stand-in: Auto Loader deletes or moves a file only after "
                    "cloudFiles.cleanSource.retentionDuration (30 days by default), Spark's "
                    "file source right after the batch. Leave it OFF locally"
                )
        elif name == "allowoverwrites":
            if _boolean(key, value):
                raise CloudFilesOptionError(
                    "cloudFiles.allowOverwrites=true is not emulated by the local cloudFiles "
                    "stand-in: Spark's file source reads a file path once, even when it changes"
                )
        elif name in _INFRASTRUCTURE or name.startswith(_INFRASTRUCTURE_PREFIXES):
            # A secret may be among these (clientSecret, connectionString): name only.
            log.info("cloudFiles stand-in: %s only tunes Databricks' file discovery; ignored", key)
        else:
            raise CloudFilesOptionError(
                f"{key} is not emulated by the local cloudFiles stand-in (docs/autoloader.md "
                "lists what is). Remove it for local runs, or test this read on Databricks"
            )
    if "format" not in parsed:
        raise CloudFilesOptionError(
            "a cloudFiles read needs the option cloudFiles.format (json, csv, parquet, text ...), "
            "as Auto Loader requires: add .option('cloudFiles.format', 'json')"
        )
    return AutoLoaderOptions(reader=reader, **parsed)  # type: ignore[arg-type]
