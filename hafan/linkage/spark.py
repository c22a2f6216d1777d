"""National scale: the DuckDB-trained model, unchanged, scoring on Spark (Splink's Spark backend).

The hub trains with the DuckDB engine (hafan.linkage.engine.train_model) and stores the settings JSON
as a model version. This module runs THAT settings JSON, m and u values untouched, through Splink's
SparkAPI, so a national register can be scored on a cluster with the same pairs, the same evidence
and the same probabilities engine.predict_pairs gives on the same records. Nothing is retrained.
docs/linkage-spark.md describes the cluster run.

Dialect translation (`spark_settings`)
--------------------------------------
The engine writes its comparison levels as CustomLevels in DuckDB SQL. A trained settings JSON no
longer records which dialect its `sql_condition`s are in, and Splink runs them verbatim on Spark,
where three of the engine's functions do not exist. Splink's own sqlglot translation does not help
either: it writes `JAROWINKLER_SIMILARITY(a, b)` and `a && b`, which Spark rejects. So every
condition is parsed as DuckDB SQL with sqlglot and written as Spark SQL, with these rewrites:

* `list_has_any(a, b)` -> `arrays_overlap(a, b)` (Spark built-in; the engine's lists never hold
  NULLs, so the two agree).
* `jaro_winkler_similarity(a, b)` -> DuckDB's own Jaro-Winkler, written in Spark SQL
  (`jaro_winkler_sql`). NOT the `jaro_winkler` UDF in Splink's jar: that one counts half a
  transposition when the number of out-of-order matched characters is odd (DuckDB rounds it
  down) and matches characters in another order, so it disagrees with DuckDB about `>= 0.9`
  (measured: on 2 of ~95k synthetic name and address pairs, 180 of 60k date strings; for a given
  name that is "similar" against "different", -16 bits). The SQL version gives DuckDB's value
  for every input; only its last step may differ by one unit in the last place, because DuckDB's
  build fuses that multiply-add (FMA) and the JVM does not. That never changes the side of a
  `>= 0.9` comparison for strings up to 120 characters (checked over every exact-0.9 case; any
  other value is at least 1e-8 away from 0.9). It costs about 5x the jar UDF (measured in local
  mode: about 8,000 comparisons a second per core), and only runs for pairs that did not
  already match a cheaper level.
* `damerau_levenshtein(a, b)`: the jar's UDF (a double). The engine only asks `<= 1`, on which
  every Damerau-Levenshtein variant agrees (measured equal to DuckDB's on 155k pairs).

Blocking rules are column equalities and translate as they are; Splink explodes the array columns
(name_keys, family_parts) on Spark itself. The match weight is the same sum of logs in double
precision on both engines: the test finds the same pairs and probabilities within 1e-9.

Sessions
--------
`local_session` is for tests and one machine: local[2], bound to 127.0.0.1, no UI, nothing
downloaded (the jar is a file inside the splink package). On a cluster, spark-submit builds the
session and `main` (the job) takes it with getOrCreate (docs/linkage-spark.md); every other
function takes `spark` as an argument.
"""

from __future__ import annotations

import argparse
import atexit
import copy
import datetime
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, overload

import pyarrow as pa
import sqlglot
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from splink import Linker, SparkAPI  # noqa: TID251 - the linkage engine's Spark side
from splink.backends.spark import similarity_jar_location  # noqa: TID251 - the Scala UDF jar
from splink.clustering import cluster_pairwise_predictions_at_threshold  # noqa: TID251
from sqlglot import exp

from hafan.linkage import engine
from hafan.linkage.records import LinkRecord, PairScore, TrainedModel

JAVA_INSTALL_HINT = (
    "Spark needs a Java runtime (17 or 21) and none was found (no JAVA_HOME, no `java` on PATH). "
    "On Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; elsewhere install any "
    "OpenJDK 17 and put its bin/ on PATH or set JAVA_HOME."
)
LOCAL_CORES = 2
THRESHOLD_TOLERANCE = 1e-12  # as engine.predict_pairs: a pair exactly at the threshold is kept
IDENTIFIER_COMPARISONS = ("nhs_number", "upn")
IDENTIFIER_CONFLICT_LEVEL = "both_valid_different"


class JavaNotFoundError(RuntimeError):
    """No Java runtime for Spark's JVM."""


def java_executable() -> str | None:
    """The `java` Spark will start: $JAVA_HOME/bin/java if JAVA_HOME is set, else `java` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = os.path.join(java_home, "bin", "java")
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


# --------------------------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------------------------

LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": str(LOCAL_CORES),
    "spark.default.parallelism": str(LOCAL_CORES),
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
}


def local_session(app_name: str = "hafan-linkage") -> SparkSession:
    """A Spark session in local mode (local[2]) for tests and one machine: Splink's similarity jar
    on the classpath through spark.jars (a local file: nothing is downloaded), no web UI, two
    shuffle partitions, the driver bound to 127.0.0.1, Spark's logging at ERROR, warehouse and
    checkpoints in a temporary directory removed at exit, and Python workers on this interpreter.
    Raises JavaNotFoundError, saying how to install Java, when there is none."""
    if java_executable() is None:
        raise JavaNotFoundError(JAVA_INSTALL_HINT)
    # The JVM and the Python workers inherit the environment (defaults only, never overridden).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    scratch = tempfile.mkdtemp(prefix="hafan-spark-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    log_config = os.path.join(scratch, "log4j2.properties")
    with open(log_config, "w", encoding="utf-8") as fh:
        fh.write(
            "rootLogger.level = error\n"
            "rootLogger.appenderRef.stderr.ref = console\n"
            "appender.console.type = Console\n"
            "appender.console.name = console\n"
            "appender.console.target = SYSTEM_ERR\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n"
        )
    builder = (
        SparkSession.builder.master(f"local[{LOCAL_CORES}]")
        .appName(app_name)
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config}")
    )
    for key, value in LOCAL_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
    return spark


# --------------------------------------------------------------------------------------------
# Settings: DuckDB SQL -> Spark SQL
# --------------------------------------------------------------------------------------------

_MATCHED = "\uffff"  # marks a matched character; a Unicode noncharacter, never in prepared rows


def jaro_winkler_sql(a: str, b: str) -> str:
    """Spark SQL for DuckDB's jaro_winkler_similarity(a, b) (a and b: Spark SQL expressions).

    DuckDB's algorithm (rapidfuzz's): window = max(len a, len b) div 2 - 1; for each character of
    b in order, match the first unmatched equal character of a within the window; transpositions
    = (matched characters out of order) div 2; jaro = (m/len a + m/len b + (m - t)/m) / 3; two
    one-character strings score 1 if equal else 0; an empty string scores 0; if jaro > 0.7 add
    prefix * 0.1 * (1 - jaro) for a common prefix of up to 4 characters. Characters are code
    points, as in DuckDB. Matched characters of a are overwritten with U+FFFF as the loop goes,
    so `locate` finds the first unmatched one.
    """
    len_a, len_b = f"length({a})", f"length({b})"
    window = f"(CAST(greatest({len_a}, {len_b}) div 2 AS INT) - 1)"
    char = f"substr({b}, hw_j + 1, 1)"
    found = f"locate({char}, hw_acc.pm, greatest(1, hw_j + 1 - {window}))"
    step = (
        f"CASE WHEN {found} > 0 AND {found} <= hw_j + 1 + {window} "
        f"THEN named_struct('pm', overlay(hw_acc.pm PLACING '{_MATCHED}' FROM {found} FOR 1), "
        f"'tm', concat(hw_acc.tm, {char})) ELSE hw_acc END"
    )
    matched_a = (
        f"array_join(transform(sequence(1, {len_a}), hw_i -> CASE WHEN substr(hw_acc.pm, hw_i, 1) = "
        f"'{_MATCHED}' THEN substr({a}, hw_i, 1) END), '')"
    )
    counts = (
        f"element_at(transform(array({matched_a}), hw_p -> named_struct('m', length(hw_p), 't', "
        f"CAST(size(filter(sequence(1, greatest(1, length(hw_p))), "
        f"hw_i -> substr(hw_p, hw_i, 1) <> substr(hw_acc.tm, hw_i, 1))) div 2 AS INT))), 1)"
    )
    jaro_of_counts = (
        f"element_at(transform(array({counts}), hw_n -> CASE WHEN hw_n.m = 0 THEN 0.0D "
        f"ELSE (hw_n.m / {len_a} + hw_n.m / {len_b} + (hw_n.m - hw_n.t) / hw_n.m) / 3.0D END), 1)"
    )
    jaro = (
        f"CASE WHEN {len_a} = 0 OR {len_b} = 0 THEN 0.0D "
        f"WHEN {len_a} = 1 AND {len_b} = 1 THEN CASE WHEN {a} = {b} THEN 1.0D ELSE 0.0D END "
        f"ELSE aggregate(sequence(0, {len_b} - 1), named_struct('pm', {a}, 'tm', ''), "
        f"(hw_acc, hw_j) -> {step}, hw_acc -> {jaro_of_counts}) END"
    )
    prefix = (
        f"size(filter(sequence(1, least(4, {len_a}, {len_b})), "
        f"hw_k -> substr({a}, 1, hw_k) = substr({b}, 1, hw_k)))"
    )
    return (
        f"element_at(transform(array({jaro}), hw_s -> CASE WHEN hw_s > 0.7D "
        f"THEN hw_s + {prefix} * 0.1D * (1.0D - hw_s) ELSE hw_s END), 1)"
    )


def _duckdb_to_spark(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JarowinklerSimilarity):
        sql = jaro_winkler_sql(node.this.sql(dialect="spark"), node.expression.sql(dialect="spark"))
        return exp.Paren(this=sqlglot.parse_one(sql, read="spark"))
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    return node


def translate_condition(sql: str) -> str:
    """One comparison level's condition, DuckDB SQL -> Spark SQL (see the module docstring)."""
    if sql.strip().upper() == "ELSE":
        return sql
    return sqlglot.parse_one(sql, read="duckdb").transform(_duckdb_to_spark).sql(dialect="spark")


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of a trained settings JSON with every comparison condition and blocking rule in
    Spark SQL. m and u values, the prior, labels and level order are unchanged."""
    out = copy.deepcopy(settings)
    out["sql_dialect"] = "spark"
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = translate_condition(level["sql_condition"])
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule["blocking_rule"] = sqlglot.transpile(rule["blocking_rule"], read="duckdb", write="spark")[0]
            rule["sql_dialect"] = "spark"
    return out


# --------------------------------------------------------------------------------------------
# Input rows
# --------------------------------------------------------------------------------------------

_SPARK_TYPES: dict[pa.DataType, T.DataType] = {
    pa.int64(): T.LongType(),
    pa.int32(): T.IntegerType(),
    pa.string(): T.StringType(),
    pa.list_(pa.string()): T.ArrayType(T.StringType()),
}
ROW_STRUCT = T.StructType([T.StructField(f.name, _SPARK_TYPES[f.type]) for f in engine.ROW_SCHEMA])
"""engine.ROW_SCHEMA as a Spark schema: the prepared row shape."""

RAW_STRUCT = T.StructType(
    [
        T.StructField("record_id", T.LongType(), False),
        T.StructField("agency", T.StringType()),
        T.StructField("given_name", T.StringType()),
        T.StructField("family_name", T.StringType()),
        T.StructField("other_names", T.StringType()),
        T.StructField("date_of_birth", T.DateType()),
        T.StructField("sex", T.StringType()),
        T.StructField("postcode", T.StringType()),
        T.StructField("address", T.StringType()),
        T.StructField("nhs_number", T.StringType()),
        T.StructField("upn", T.StringType()),
        T.StructField("phone", T.StringType()),
        T.StructField("email", T.StringType()),
    ]
)
"""LinkRecord's fields as a Spark schema: what an agency extract looks like before preparation."""


def records_dataframe(spark: SparkSession, records: Sequence[LinkRecord]) -> DataFrame:
    """LinkRecords as a Spark DataFrame of prepared rows (one engine.prepare() row each, the
    rows DuckDB sees), built on the driver: for data that fits there."""
    table = pa.Table.from_pylist([engine.prepare(r) for r in records], schema=engine.ROW_SCHEMA)
    return spark.createDataFrame(table)


def _prepare_partition(rows: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
    for raw in rows:
        dob = raw["date_of_birth"]
        record = LinkRecord(
            record_id=int(raw["record_id"]),
            agency=raw["agency"] or "",
            given_name=raw["given_name"] or "",
            family_name=raw["family_name"] or "",
            other_names=raw["other_names"] or "",
            date_of_birth=dob if isinstance(dob, datetime.date) else None,
            sex=raw["sex"] or "unknown",
            postcode=raw["postcode"] or "",
            address=raw["address"] or "",
            nhs_number=raw["nhs_number"] or "",
            upn=raw["upn"] or "",
            phone=raw["phone"] or "",
            email=raw["email"] or "",
        )
        row = engine.prepare(record)
        yield tuple(row[c] for c in engine.ROW_COLUMNS)


def prepare_dataframe(raw: DataFrame) -> DataFrame:
    """Agency extracts (RAW_STRUCT's columns, one row per LinkRecord; missing optional columns
    count as empty) -> prepared rows (ROW_STRUCT), with engine.prepare running on the executors
    (so they need Python with hafan installed). Uses the RDD API, which needs no pandas."""
    for field in RAW_STRUCT:
        if field.name not in raw.columns:
            raw = raw.withColumn(field.name, F.lit(None).cast(field.dataType))
    prepared = raw.select(*RAW_STRUCT.names).rdd.mapPartitions(_prepare_partition)
    return raw.sparkSession.createDataFrame(prepared, ROW_STRUCT)


def _check_rows(rows: DataFrame) -> None:
    missing = [c for c in engine.ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"not in the engine's prepared row shape: missing columns {missing}")


# --------------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------------


def _spark_api(spark: SparkSession, break_lineage_method: str | None, num_partitions: int | None) -> Any:
    return SparkAPI(
        spark_session=spark,
        break_lineage_method=break_lineage_method,
        num_partitions_on_repartition=num_partitions,
    )


def _predict_dataframe(
    model: TrainedModel,
    rows: DataFrame,
    *,
    spark: SparkSession,
    threshold: float,
    break_lineage_method: str | None,
    num_partitions: int | None,
) -> DataFrame:
    _check_rows(rows)
    # engine._compiled_for is private: the gamma column names, in the engine's order
    gamma_columns = engine._compiled_for(model).gamma_columns
    db_api = _spark_api(spark, break_lineage_method, num_partitions)
    sdf = db_api.register(rows.select(*engine.ROW_COLUMNS), table_name=f"hafan_rows_{uuid.uuid4().hex[:12]}")
    linker = Linker(sdf, spark_settings(model.settings), log_level=None, validate_settings=False)
    predictions = linker.inference.predict(
        threshold_match_probability=max(threshold - THRESHOLD_TOLERANCE, 0.0) if threshold > 0 else None,
        warning_mode="never",
    )
    left, right = F.col("unique_id_l"), F.col("unique_id_r")
    return (
        spark.table(predictions.physical_name)
        .where(F.col("match_probability") >= F.lit(threshold))
        .select(
            F.least(left, right).alias("unique_id_l"),
            F.greatest(left, right).alias("unique_id_r"),
            F.col("match_weight"),
            F.col("match_probability"),
            *(F.col(g) for g in gamma_columns),
        )
    )


def pair_scores(model: TrainedModel, predictions: DataFrame) -> list[PairScore]:
    """Collect predictions (predict_pairs_spark's DataFrame shape, e.g. read back from parquet)
    to PairScores with the same FieldEvidence engine.predict_pairs gives, sorted by (left_id,
    right_id). For a slice that fits on the driver (one hub's records)."""
    compiled = engine._compiled_for(model)  # private engine helper: gamma value -> FieldEvidence
    cache: dict[tuple[int, ...], tuple[Any, ...]] = {}
    out: list[PairScore] = []
    for row in predictions.toArrow().to_pylist():
        gammas = tuple(int(row[g]) for g in compiled.gamma_columns)
        evidence = cache.get(gammas)
        if evidence is None:
            evidence = tuple(compiled.evidence[i][g] for i, g in enumerate(gammas))
            cache[gammas] = evidence
        out.append(
            PairScore(
                int(row["unique_id_l"]),
                int(row["unique_id_r"]),
                float(row["match_probability"]),
                float(row["match_weight"]),
                evidence,
            )
        )
    out.sort(key=lambda p: (p.left_id, p.right_id))
    return out


@overload
def predict_pairs_spark(
    model: TrainedModel,
    records: Sequence[LinkRecord],
    *,
    spark: SparkSession,
    threshold: float = 0.5,
    break_lineage_method: str | None = None,
    num_partitions: int | None = None,
) -> list[PairScore]: ...


@overload
def predict_pairs_spark(
    model: TrainedModel,
    records: DataFrame,
    *,
    spark: SparkSession,
    threshold: float = 0.5,
    break_lineage_method: str | None = None,
    num_partitions: int | None = None,
) -> DataFrame: ...


def predict_pairs_spark(
    model: TrainedModel,
    records: Sequence[LinkRecord] | DataFrame,
    *,
    spark: SparkSession,
    threshold: float = 0.5,
    break_lineage_method: str | None = None,
    num_partitions: int | None = None,
) -> list[PairScore] | DataFrame:
    """engine.predict_pairs on Spark with the model's trained settings (no retraining).

    LinkRecords in: list[PairScore] out, equal to engine.predict_pairs(model, records,
    threshold=threshold): the same pairs with the same evidence, sorted by (left_id, right_id).
    A Spark DataFrame of prepared rows (ROW_STRUCT) in: a lazy Spark DataFrame out, never
    collected (national scale), with columns unique_id_l < unique_id_r, match_weight,
    match_probability and gamma_<comparison> (the level's comparison vector value) for each
    comparison, only pairs with match_probability >= threshold.

    break_lineage_method and num_partitions go to Splink's SparkAPI: "parquet" (Splink's
    default, and ours for a DataFrame) writes Splink's intermediate tables under the session's
    checkpoint directory, "persist" (ours for LinkRecords, which fit on the driver) caches them
    in memory, "checkpoint" uses Spark checkpoints. The LinkRecords path drops and uncaches the
    views it made when done; Splink's blocked-pair ids stay cached (Splink persists them before
    repartitioning, so no view names them): spark.catalog.clearCache() frees them in a
    long-lived session;
    num_partitions is how many partitions Splink repartitions its big tables into (default:
    half of spark.sql.shuffle.partitions).
    """
    if isinstance(records, DataFrame):
        return _predict_dataframe(
            model,
            records,
            spark=spark,
            threshold=threshold,
            break_lineage_method=break_lineage_method,
            num_partitions=num_partitions,
        )
    if len(records) < 2:
        return []
    before = _temp_views(spark)
    try:
        predictions = _predict_dataframe(
            model,
            records_dataframe(spark, records),
            spark=spark,
            threshold=threshold,
            break_lineage_method=break_lineage_method or "persist",
            num_partitions=num_partitions,
        )
        return pair_scores(model, predictions)
    finally:
        # drop (and uncache) the views Splink made for this call; the session lives on
        for name in _temp_views(spark) - before:
            spark.catalog.uncacheTable(name)
            spark.catalog.dropTempView(name)


def _temp_views(spark: SparkSession) -> set[str]:
    return {t.name for t in spark.catalog.listTables() if t.isTemporary}


def write_predictions(
    model: TrainedModel,
    rows: DataFrame,
    out: str,
    *,
    spark: SparkSession,
    threshold: float = 0.5,
    kind: Literal["parquet", "table"] = "parquet",
    mode: str = "overwrite",
    break_lineage_method: str | None = None,
    num_partitions: int | None = None,
) -> DataFrame:
    """The cluster job: score prepared rows (ROW_STRUCT, e.g. read from parquet or made by
    prepare_dataframe) with the trained model and write the predictions (predict_pairs_spark's
    DataFrame shape) to a parquet directory (kind="parquet"; any Hadoop path: hdfs://, s3a://,
    abfss://, file://) or a metastore table (kind="table"). Returns them read back, lazily, from
    where they were written (so later steps start from the files, not the lineage)."""
    predictions = predict_pairs_spark(
        model,
        rows,
        spark=spark,
        threshold=threshold,
        break_lineage_method=break_lineage_method,
        num_partitions=num_partitions,
    )
    writer = predictions.write.mode(mode)
    if kind == "table":
        writer.saveAsTable(out)
        return spark.table(out)
    writer.parquet(out)
    return spark.read.parquet(out)


# --------------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------------


def _conflict_condition(model: TrainedModel) -> Any:
    """Column expression: true for a pair with two different valid NHS numbers or UPNs."""
    compiled = engine._compiled_for(model)  # private engine helper, as above
    condition = F.lit(False)
    for i, name in enumerate(compiled.comparisons):
        if name not in IDENTIFIER_COMPARISONS:
            continue
        for gamma, evidence in compiled.evidence[i].items():
            if evidence.level == IDENTIFIER_CONFLICT_LEVEL:
                condition = condition | (F.col(compiled.gamma_columns[i]) == F.lit(gamma))
    return condition


def cluster_predictions_spark(
    model: TrainedModel,
    predictions: DataFrame,
    rows: DataFrame,
    *,
    spark: SparkSession,
    threshold: float,
    break_lineage_method: str | None = None,
    num_partitions: int | None = None,
) -> DataFrame:
    """Candidate identities for the whole register: Splink's connected components
    (cluster_pairwise_predictions_at_threshold) on Spark over the pairs with probability >=
    threshold, leaving out every pair with two different valid NHS numbers or UPNs (the engine's
    never-link rule). A lazy DataFrame of (cluster_id, unique_id), one row per row in `rows`.

    Plain connected components cannot stop A-B and B-C joining A and C when A and C conflict, or
    honour the hub's human rejections: engine.cluster does both, so a hub's records are
    re-clustered with engine.cluster when the links are loaded back (docs/linkage-spark.md)."""
    db_api = _spark_api(spark, break_lineage_method, num_partitions)
    nodes = rows.select("unique_id")
    edges = predictions.where(~_conflict_condition(model)).select(
        "unique_id_l", "unique_id_r", "match_probability"
    )
    clusters = cluster_pairwise_predictions_at_threshold(
        nodes,
        edges,
        db_api=db_api,
        node_id_column_name="unique_id",
        threshold_match_probability=threshold,
    )
    return spark.table(clusters.physical_name).select("cluster_id", "unique_id")


# --------------------------------------------------------------------------------------------
# Model files and the cluster job's entry point
# --------------------------------------------------------------------------------------------


def dump_model(model: TrainedModel, path: str, *, version: int | None = None) -> None:
    """Write a trained model (a LinkageModelVersion's fields) as JSON for the cluster job."""
    document = {
        "version": version,
        "settings": model.settings,
        "seed": model.seed,
        "trained_on_records": model.trained_on_records,
        "splink_version": model.splink_version,
        "notes": model.notes,
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=1, sort_keys=True)


def load_model(path: str) -> TrainedModel:
    """Read dump_model's JSON (or a bare Splink settings JSON, which has "comparisons")."""
    with open(path, encoding="utf-8") as fh:
        document = json.load(fh)
    if "comparisons" in document:
        document = {"settings": document}
    return TrainedModel(
        settings=document["settings"],
        seed=int(document.get("seed") or 0),
        trained_on_records=int(document.get("trained_on_records") or 0),
        splink_version=str(document.get("splink_version") or ""),
        notes=dict(document.get("notes") or {}),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The national scoring job: records (agency extracts, RAW_STRUCT) or prepared rows
    (ROW_STRUCT) from parquet -> predictions parquet, and optionally candidate clusters parquet.

    spark-submit needs a driver file outside the package (running this file directly would put
    hafan/linkage on sys.path, where hafan/linkage/selectors.py hides the standard library's
    selectors): `from hafan.linkage.spark import main; raise SystemExit(main())`
    (docs/linkage-spark.md)."""
    parser = argparse.ArgumentParser(
        prog="hafan-link-job", description="Score (and cluster) a register on Spark with a trained model."
    )
    parser.add_argument("--model", required=True, help="model JSON (dump_model) or Splink settings JSON")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--records", help="parquet of agency records (LinkRecord fields)")
    source.add_argument("--rows", help="parquet of prepared rows (engine.ROW_SCHEMA)")
    parser.add_argument("--out", required=True, help="predictions parquet directory (overwritten)")
    parser.add_argument("--threshold", type=float, default=0.5, help="lowest match probability written")
    parser.add_argument("--clusters", help="also write (cluster_id, unique_id) parquet here")
    parser.add_argument("--cluster-threshold", type=float, default=0.99)
    parser.add_argument("--partitions", type=int, help="partitions Splink repartitions its big tables into")
    parser.add_argument("--break-lineage", choices=("parquet", "persist", "checkpoint"), default=None)
    parser.add_argument("--checkpoint-dir", help="Spark checkpoint directory (needed by parquet/checkpoint)")
    parser.add_argument("--local", action="store_true", help="start a local[2] session (no spark-submit)")
    args = parser.parse_args(argv)

    spark = local_session() if args.local else SparkSession.builder.getOrCreate()
    if args.checkpoint_dir:
        spark.sparkContext.setCheckpointDir(args.checkpoint_dir)
    model = load_model(args.model)
    if args.records:
        rows = prepare_dataframe(spark.read.parquet(args.records))
    else:
        rows = spark.read.parquet(args.rows)
    # written once, so the scoring and the clustering below read the same rows
    rows = rows.persist()
    predictions = write_predictions(
        model,
        rows,
        args.out,
        spark=spark,
        threshold=args.threshold,
        break_lineage_method=args.break_lineage,
        num_partitions=args.partitions,
    )
    if args.clusters:
        clusters = cluster_predictions_spark(
            model,
            predictions,
            rows,
            spark=spark,
            threshold=args.cluster_threshold,
            break_lineage_method=args.break_lineage,
            num_partitions=args.partitions,
        )
        clusters.write.mode("overwrite").parquet(args.clusters)
    rows.unpersist()
    return 0
