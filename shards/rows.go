package shards

// WindowRow is one row of a window shard: a training window and where it
// comes from. Tokens has Context+1 ids: the position token, then content
// ids, then PAD; Valid counts the ids before the padding.
type WindowRow struct {
	Tokens []int32 `parquet:"tokens,list"`
	DocID  int64   `parquet:"doc_id"`
	Start  int32   `parquet:"start"`
	Valid  int32   `parquet:"valid"`
}

// DocRow is one row of the docs table: every document behind the windows.
type DocRow struct {
	DocID     int64  `parquet:"doc_id"`
	Repo      string `parquet:"repo"`
	Path      string `parquet:"path"`
	SHA256    string `parquet:"sha256"`
	Source    string `parquet:"source"`
	Split     string `parquet:"split"`
	Tokens    int32  `parquet:"tokens"`
	BytesJSON int32  `parquet:"bytes_json"`
	Windows   int32  `parquet:"windows"`
}
