package config

import (
	"fmt"
	"strings"
)

// Reference renders the table of every key for docs/configuration.md.
func Reference() string {
	d := Default()
	var b strings.Builder
	b.WriteString("| key (YAML) | environment | flag | type | default | meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| — | `%s` | `--%s` | path | — | The YAML file to read. |\n", EnvConfig, FlagConfig)
	for _, k := range keys {
		def := k.Get(&d)
		if def == "" || k.Secret {
			def = "(empty)"
		}
		flags := "`--" + k.Flag + "`"
		if k.Type == "bool" {
			flags += ", `--no-" + k.Flag + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | `%s` | %s |\n", k.Name, k.Env, flags, k.Type, def, k.Doc)
	}
	return b.String()
}
