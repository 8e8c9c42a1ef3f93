"""Unity Catalog as code: ``release/unity_catalog.yml`` -> a plan -> applied.

- ``spec``: the typed loader of the declarative file (errors name file, line, entry, field);
- ``state``: what a metastore holds (catalogs, schemas, external locations, grants), the
  desired state built from a spec, and the privilege rules used to ask who may read what;
- ``plan``: the changes (create, update, grant, revoke) from a current state to a desired one;
- ``workspace``: reads and applies them on a workspace through databricks-sdk.

The local applier (the catalog emulation) lives in ``lakehouse_local.unity``:
this package stays runnable beside the wheel with databricks-sdk only.
"""
