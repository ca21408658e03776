"""`footfall edge module`: the edge runtime as an IoT Edge module, configured by its twin.

Takes no layout, camera or source on the command line: those come from the module twin's
desired properties (see `edge_runtime.iot.desired`). What stays on the command line is what
belongs to the device rather than to the store: the data folder (outbox, pseudonym keys), the
sink, the device id and where the models are.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from edge_runtime.sinks.choice import SINKS
from footfall.settings import data_dir

#: Set by the IoT Edge runtime in every module container.
DEVICE_ID_ENV = "IOTEDGE_DEVICEID"


def add_module_command(
    edge_sub: argparse._SubParsersAction, common: argparse.ArgumentParser, device_id: str
) -> None:
    module = edge_sub.add_parser(
        "module",
        parents=[common],
        help="run as an Azure IoT Edge module: layout, camera and model from the module twin",
    )
    module.add_argument("--sink", choices=SINKS, default="local")
    module.add_argument(
        "--device-id",
        default=os.environ.get(DEVICE_ID_ENV) or device_id,
        help=f"this edge device's id (default ${DEVICE_ID_ENV}, else from the host name)",
    )
    module.add_argument(
        "--models-dir",
        type=Path,
        help="folder that relative model paths in the twin's detector resolve against "
        "(default: the vendored models folder)",
    )
    module.set_defaults(func=cmd_edge_module)


def cmd_edge_module(args: argparse.Namespace) -> None:
    from edge_runtime.detection.base import Detector
    from edge_runtime.detection.ssd import MODELS_DIR
    from edge_runtime.faces.tracks import FaceAnalytics
    from edge_runtime.iot.client import edge_client, serve_module
    from edge_runtime.iot.desired import ModuleConfig
    from edge_runtime.iot.host import ModuleHost
    from edge_runtime.pipeline import EdgeRun, FootageClock, camera_in
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks.choice import open_sink, outbox_stats
    from edge_runtime.sinks.eventhub_settings import load_eventhub_settings
    from edge_runtime.sources import FrameSource, open_source

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    root = data_dir(args.data_dir)
    # Checked before the module connects, so a missing setting fails at once.
    eventhub = load_eventhub_settings() if args.sink == "eventhub" else None

    def start_run(config: ModuleConfig, detector: Detector) -> tuple[EdgeRun, FrameSource]:
        source = open_source(config.source.get_secret_value())
        clock = FootageClock(live=source.live)
        sink = open_sink(args.sink, root, config.camera_id, clock, eventhub)
        camera = camera_in(config.layout, config.camera_id)
        run = clock.run = EdgeRun(
            config.layout,
            config.camera_id,
            detector,
            sink,
            Pseudonymizer(DailyKeys(root / "edge" / "keys"), config.camera_id),
            device_id=args.device_id,
            settings=config.settings,
            faces=FaceAnalytics.with_vendored_models() if camera.face_analytics else None,
            outbox_stats=outbox_stats(sink),
        )
        return run, source

    models_dir = args.models_dir or MODELS_DIR
    serve_module(lambda report: ModuleHost(models_dir, start_run, report), edge_client())
