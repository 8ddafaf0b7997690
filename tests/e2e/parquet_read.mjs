// Reads a Parquet file with hyparquet (an independent, pure-JS reader) and prints JSON:
// {"columns": [{name, type, logical}], "row_groups": N, "num_rows": N, "stats": [...],
//  "kv": {...}, "rows": [[...], ...]}. INT64 cells (BigInt) print as decimal strings so no
// precision is lost; the caller compares them typed. Usage: node parquet_read.mjs FILE
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const path = process.argv[2];
const buf = readFileSync(path);
const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const meta = parquetMetadata(file);
const schema = parquetSchema(meta);
const columns = schema.children.map((c) => ({
  name: c.element.name,
  type: c.element.type,
  repetition: c.element.repetition_type,
  logical: c.element.logical_type ? c.element.logical_type.type : null,
}));
const rows = await parquetReadObjects({ file, compressors, rowFormat: 'array' });
const big = (k, v) => (typeof v === 'bigint' ? v.toString() : v);
const stats = meta.row_groups.map((rg) =>
  rg.columns.map((cc) => ({
    encodings: cc.meta_data.encodings,
    codec: cc.meta_data.codec,
    dictionary: cc.meta_data.dictionary_page_offset !== undefined,
    null_count: cc.meta_data.statistics?.null_count,
    min: cc.meta_data.statistics?.min_value,
    max: cc.meta_data.statistics?.max_value,
  })),
);
const kv = Object.fromEntries((meta.key_value_metadata || []).map((e) => [e.key, e.value]));
process.stdout.write(
  JSON.stringify(
    {
      columns,
      num_rows: meta.num_rows,
      row_groups: meta.row_groups.map((rg) => rg.num_rows),
      created_by: meta.created_by,
      kv,
      stats,
      rows: rows.map((r) => (Array.isArray(r) ? r : columns.map((c) => r[c.name]))),
    },
    big,
  ) + '\n',
);
