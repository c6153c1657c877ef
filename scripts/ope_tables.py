"""Write the sequence tables of LaSOT, UAV123, UAV20L and TC128 (experiments/<bench>/sequences.yaml)
from the annotation copies in ../shared/data (see its PROVENANCE.md: the LaSOT toolkit's annos,
the UAV123 kit's and TBCF's anno/att folders and configSeqs ranges).

    python scripts/ope_tables.py [--shared-data DIR]

Facts only: names, frame ranges (from the configSeqs ranges or the annotation line counts)
and attribute flags decoded in each benchmark's attribute order.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def flags(path: Path, order: list[str]) -> list[str]:
    values = [int(v) for v in path.read_text().replace(",", " ").split()]
    if values == [0]:  # TC128's Carchasing_ce3 and Thunder_ce: a single 0, no flags
        return []
    assert len(values) == len(order), path
    return [code for code, v in zip(order, values) if v]


def attribute_order(path: Path) -> list[str]:
    return [line.split()[1] for line in path.read_text().splitlines() if line[:1].isdigit()]


def row(name: str, fields: dict) -> str:
    parts = []
    for key, value in fields.items():
        if isinstance(value, list):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        parts.append(f"{key}: {value}")
    return f"  {name}: {{{', '.join(parts)}}}\n"


def write(path: Path, header: str, order: list[str], names: dict[str, str], rows: list[str]) -> None:
    text = header + f"\nattribute_order: [{', '.join(order)}]\nattribute_names:\n"
    text += "".join(f"  {code}: {names[code]}\n" for code in order)
    text += "\nsequences:\n" + "".join(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"{path.relative_to(REPO)}: {len(rows)} sequences")


def names_from(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line[:1].isdigit():
            _, code, *words = line.split()
            out[code] = " ".join(words).lower()
    return out


def lasot(shared: Path) -> None:
    anno = shared / "lasot" / "annotations"
    order = attribute_order(anno / "attribute_order.txt")
    rows = []
    for name in (anno / "testing_set.txt").read_text().split():
        length = sum(1 for line in open(anno / "groundtruth" / f"{name}.txt") if line.strip())
        rows.append(row(name, {"frames": [1, length], "attributes": flags(anno / "att" / f"{name}.txt", order)}))
    header = ("# LaSOT test set (protocol II, 280 sequences): frames from the LaSOT toolkit's annos/<seq>.txt line\n"
              "# counts, attributes from annos/att/<seq>.txt (HengLan/LaSOT_Evaluation_Toolkit @95bf38ae; written by\n"
              "# scripts/ope_tables.py). Folders are <class>/<seq> (the definition's format, lasot).\n")
    write(REPO / "experiments" / "lasot" / "sequences.yaml", header, order, names_from(anno / "attribute_order.txt"),
          rows)


def uav(shared: Path, bench: str) -> None:
    anno = shared / bench.lower() / "annotations"
    order = attribute_order(anno / "attribute_order.txt")
    rows = []
    with open(anno / "frame_ranges_configSeqs.csv") as f:
        for entry in csv.DictReader(f):
            name = entry["name"]
            fields = {"folder": entry["folder"], "frames": [int(entry["start_frame"]), int(entry["end_frame"])],
                      "attributes": flags(anno / "att" / f"{name}.txt", order)}
            if fields["folder"] == name:
                del fields["folder"]
            rows.append(row(name, fields))
    header = (f"# {bench}: image folders and frame ranges from the UAV123 kit's configSeqs.m (= got10k's\n"
              f"# uav123.json = pytracking's uavdataset.py), attributes from anno/{bench}/att/<seq>.txt\n"
              "# (Escheee/TBCF @a83b2c78; written by scripts/ope_tables.py). Ground truth: anno/<subset>/<seq>.txt;\n"
              "# NaN rows = target absent.\n")
    write(REPO / "experiments" / "uav" / f"{bench.lower()}.yaml", header, order,
          names_from(anno / "attribute_order.txt"), rows)


TC128_ORDER = ["IV", "OPR", "SV", "OCC", "DEF", "MB", "FM", "IPR", "OV", "BC", "LR"]


def tc128(shared: Path) -> None:
    anno = shared / "tc128" / "annotations"
    rows = []
    with open(anno / "frame_ranges_configSeqs.csv") as f:
        for entry in csv.DictReader(f):
            config_name = entry["name"]
            # configSeqs.m says 'subway'; the annotation file and the folder are 'Subway'
            name = next(p.stem for p in (anno / "anno").glob("*.txt") if p.stem.lower() == config_name.lower())
            fields = {"frames": [int(entry["start_frame"]), int(entry["end_frame"])],
                      "groundtruth": f"{name}_gt.txt",
                      "attributes": flags(anno / "att" / f"{name}.txt", TC128_ORDER)}
            if name != config_name:
                fields["aliases"] = [config_name]
            rows.append(row(name, fields))
    header = ("# Temple Color 128 (129 targets: Jogging1 and Jogging2 are two targets of one video): frame\n"
              "# ranges from the kit's configSeqs.m, attributes from anno/att/<seq>.txt in the OTB order (assumed:\n"
              "# no second source gives TC128's order), Escheee/TBCF @a83b2c78; written by scripts/ope_tables.py.\n"
              "# configSeqs.m names 'subway' what the files call 'Subway' (an alias here). Carchasing_ce3 and\n"
              "# Thunder_ce have no flags (their att files hold a single 0).\n")
    names = {"IV": "illumination variation", "OPR": "out-of-plane rotation", "SV": "scale variation",
             "OCC": "occlusion", "DEF": "deformation", "MB": "motion blur", "FM": "fast motion",
             "IPR": "in-plane rotation", "OV": "out of view", "BC": "background clutter", "LR": "low resolution"}
    write(REPO / "experiments" / "tc128" / "sequences.yaml", header, TC128_ORDER, names, rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    lasot(args.shared_data)
    uav(args.shared_data, "UAV123")
    uav(args.shared_data, "UAV20L")
    tc128(args.shared_data)
