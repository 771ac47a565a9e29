package prompts

import "embed"

// FS holds zh.tsv, en.tsv and the zh/ and en/ audio directories.
//
//go:embed *.tsv zh en
var FS embed.FS
