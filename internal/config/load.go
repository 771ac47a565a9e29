package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A hand-written binder rather than a configuration library: the keys'
// three spellings, strict file decoding with line numbers, one parser per
// type shared by all sources (so errors read the same whichever source was
// wrong) and the generated reference in docs/configuration.md all come from
// one walk over the struct. The libraries we looked at give one or two of
// these, not all.

// EnvConfig and FlagConfig name the configuration file.
const (
	EnvConfig  = "HOTLINE_CONFIG"
	FlagConfig = "config"
	envPrefix  = "HOTLINE_"
)

// Key describes one configuration key.
type Key struct {
	Name   string // dotted: "http.addr"
	Env    string // HOTLINE_HTTP_ADDR
	Flag   string // http-addr
	Doc    string
	Type   string // string, bool, int, duration, list
	Secret bool   // never print the value
	index  []int
}

var keys = collectKeys(reflect.TypeFor[Config](), "", nil)

// Keys lists every configuration key in declaration order.
func Keys() []Key { return append([]Key(nil), keys...) }

func collectKeys(t reflect.Type, prefix string, index []int) []Key {
	var out []Key
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		full := prefix + name
		idx := append(append([]int(nil), index...), i)
		if isGroup(f.Type) {
			out = append(out, collectKeys(f.Type, full+".", idx)...)
			continue
		}
		out = append(out, Key{
			Name:   full,
			Env:    envPrefix + strings.ToUpper(strings.ReplaceAll(full, ".", "_")),
			Flag:   strings.NewReplacer(".", "-", "_", "-").Replace(full),
			Doc:    f.Tag.Get("doc"),
			Type:   typeName(f.Type),
			Secret: f.Tag.Get("secret") == "true",
			index:  idx,
		})
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

func isGroup(t reflect.Type) bool { return t.Kind() == reflect.Struct }

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list"
	}
	return t.Kind().String()
}

func keyByName(name string) (Key, bool) {
	for _, k := range keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

func isGroupPrefix(prefix string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k.Name, prefix+".") {
			return true
		}
	}
	return false
}

// set parses s into the key's field of c.
func (k Key) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New("invalid duration (want e.g. 30s, 15m, 1h30m)")
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("invalid boolean (want true or false)")
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return errors.New("invalid integer")
		}
		v.SetInt(n)
	case v.Kind() == reflect.Slice:
		var items []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				items = append(items, p)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// Get returns the key's value in c as text (for docs and `--help`).
func (k Key) Get(c *Config) string {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Slice:
		return strings.Join(v.Interface().([]string), ",")
	}
	return fmt.Sprint(v.Interface())
}

func (k Key) fail(source, value string, err error) error {
	if k.Secret {
		value = "(hidden)"
	}
	return &Error{Key: k.Name, Source: source, Value: value, Reason: err.Error()}
}

// Load builds the configuration from, in rising precedence: the defaults,
// the YAML file named by --config or HOTLINE_CONFIG, the HOTLINE_…
// environment variables and the flags in args. It returns the arguments left
// after the flags. getenv is os.LookupEnv outside tests.
func Load(args []string, getenv func(string) (string, bool)) (Config, []string, error) {
	c := Default()
	fs, setFlags, cfgPath := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, err
		}
		return c, nil, fmt.Errorf("config: %w", err)
	}
	path := *cfgPath
	if path == "" {
		path, _ = getenv(EnvConfig)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, nil, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := loadYAML(&c, path, data); err != nil {
			return c, nil, err
		}
	}
	for _, k := range keys {
		if s, ok := getenv(k.Env); ok {
			if err := k.set(&c, s); err != nil {
				return c, nil, k.fail(k.Env, s, err)
			}
		}
	}
	for _, f := range *setFlags {
		if err := f.key.set(&c, f.value); err != nil {
			return c, nil, f.key.fail("--"+f.name, f.value, err)
		}
	}
	if err := c.Validate(); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), nil
}

type flagSetting struct {
	key   Key
	name  string
	value string
}

// flagValue records a flag's text; Load applies it after the file and the
// environment, so flags win whatever their position.
type flagValue struct {
	key    Key
	name   string
	isBool bool
	negate bool
	set    *[]flagSetting
}

func (f *flagValue) String() string   { return "" }
func (f *flagValue) IsBoolFlag() bool { return f.isBool }
func (f *flagValue) Set(s string) error {
	if f.negate {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("invalid boolean")
		}
		s = strconv.FormatBool(!b)
	}
	*f.set = append(*f.set, flagSetting{key: f.key, name: f.name, value: s})
	return nil
}

func newFlagSet() (*flag.FlagSet, *[]flagSetting, *string) {
	fs := flag.NewFlagSet("hotline", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	set := &[]flagSetting{}
	cfgPath := fs.String(FlagConfig, "", "YAML configuration file (env "+EnvConfig+")")
	for _, k := range keys {
		isBool := k.Type == "bool"
		fs.Var(&flagValue{key: k, name: k.Flag, isBool: isBool, set: set}, k.Flag, k.Doc)
		if isBool {
			fs.Var(&flagValue{key: k, name: "no-" + k.Flag, isBool: true, negate: true, set: set}, "no-"+k.Flag, "turn off "+k.Flag)
		}
	}
	return fs, set, cfgPath
}

// Usage writes the flags with their environment variables and defaults.
func Usage(w io.Writer) {
	d := Default()
	fmt.Fprintf(w, "  --%s FILE\n\tYAML configuration file (env %s)\n", FlagConfig, EnvConfig)
	for _, k := range keys {
		def := k.Get(&d)
		if k.Secret || def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%s %s\n\t%s (env %s, default %s)\n", k.Flag, k.Type, k.Doc, k.Env, def)
	}
}

func loadYAML(c *Config, path string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	return walkYAML(c, path, doc.Content[0], "")
}

func walkYAML(c *Config, path string, n *yaml.Node, prefix string) error {
	where := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d", path, n.Line) }
	if n.Kind != yaml.MappingNode {
		name := strings.TrimSuffix(prefix, ".")
		if name == "" {
			name = "(top level)"
		}
		return &Error{Key: name, Source: where(n), Reason: "want a mapping of keys"}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name := prefix + kn.Value
		if seen[name] {
			return &Error{Key: name, Source: where(kn), Reason: "key given twice"}
		}
		seen[name] = true
		if isGroupPrefix(name) {
			if err := walkYAML(c, path, vn, name+"."); err != nil {
				return err
			}
			continue
		}
		k, ok := keyByName(name)
		if !ok {
			return &Error{Key: name, Source: where(kn), Reason: "unknown key"}
		}
		var text string
		switch {
		case vn.Kind == yaml.ScalarNode:
			text = vn.Value
		case vn.Kind == yaml.SequenceNode && k.Type == "list":
			items := make([]string, 0, len(vn.Content))
			for _, it := range vn.Content {
				if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, ",") {
					return &Error{Key: name, Source: where(it), Reason: "list items must be plain values without commas"}
				}
				items = append(items, it.Value)
			}
			text = strings.Join(items, ",")
		default:
			return &Error{Key: name, Source: where(vn), Reason: "want a single value"}
		}
		if err := k.set(c, text); err != nil {
			return k.fail(where(vn), text, err)
		}
	}
	return nil
}
