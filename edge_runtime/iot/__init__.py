"""Running the edge runtime as an Azure IoT Edge module, configured by its module twin.

`desired` validates the twin's desired properties into a `ModuleConfig`; `twin` follows the
desired document through full reads and patches and words the reported status; `host` keeps the
camera's `EdgeRun` going and applies each accepted configuration without a restart; `client` is
the thin glue to `azure-iot-device`; `cli` adds `footfall edge module`.
"""
