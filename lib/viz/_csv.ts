/**
 * A small RFC 4180 CSV reader for the visualization inputs (predictions, ground truth): quoted
 * fields, doubled quotes, CRLF or LF line ends. Kept private so that lib/viz does not depend on
 * the dataset readers.
 *
 * @module
 */

/** A parsed CSV: header names and rows of raw string cells. */
export interface CsvTable {
  /** Column names from the first line. */
  header: string[];
  /** Data rows, each as long as the header (short rows are padded with ""). */
  rows: string[][];
}

/**
 * Parse CSV text whose first line is a header.
 *
 * @param text The CSV text.
 * @param delimiter The field separator; default ",".
 * @returns Header and rows.
 */
export function parseCsv(text: string, delimiter = ","): CsvTable {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const pushRecord = () => {
    record.push(field);
    field = "";
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      record.push(field);
      field = "";
    } else if (c === "\n") pushRecord();
    else if (c === "\r") {
      if (text[i + 1] === "\n") i++;
      pushRecord();
    } else field += c;
  }
  if (quoted) throw new SyntaxError("Cannot parse CSV: found an unterminated quoted field");
  if (field !== "" || record.length > 0) pushRecord();
  const [header = [], ...rows] = records;
  return {
    header,
    rows: rows.map((
      r,
    ) => (r.length < header.length ? [...r, ...Array(header.length - r.length).fill("")] : r)),
  };
}
