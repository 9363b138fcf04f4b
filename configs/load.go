package configs

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// DefaultPath is read by Load("") when it exists (SPEC §8).
const DefaultPath = "configs/xnum.yaml"

// envPrefix starts every override variable: XNUM_ + the key upper-cased with
// "." → "_" (SPEC §8).
const envPrefix = "XNUM_"

// clientVars are XNUM_ variables that belong to the command-line client, not
// to the daemon's config; Load ignores them instead of refusing them, so that
// a shell prepared for `xnum app list` can still run `xnum serve`.
var clientVars = map[string]bool{"XNUM_ADMIN_TOKEN": true}

// Load builds the configuration: the built-in defaults, then the YAML file
// at path (path "" means DefaultPath when it exists, else no file), then the
// XNUM_* entries of environ ("KEY=value" strings as os.Environ gives them;
// passed in so that tests are hermetic). Unknown keys in the file and unknown
// XNUM_ variables are refused, naming the key, and the result is validated.
func Load(path string, environ []string) (Config, error) {
	if path == "" {
		if _, err := os.Stat(DefaultPath); err == nil {
			path = DefaultPath
		}
	}
	v := viper.New()
	keys := leafKeys(reflect.TypeFor[Config](), "")
	def := Default()
	for _, k := range keys {
		v.SetDefault(k, valueAt(reflect.ValueOf(def), k))
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if err := applyEnv(v, environ, keys); err != nil {
		return Config{}, err
	}
	cfg, err := decode(v.AllSettings())
	if err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// decode turns viper's merged settings into a Config: strictly (a key the
// struct does not have is an error naming it), with durations as strings
// ("90s", "90d") and lists also as comma-separated strings (environment).
func decode(settings map[string]any) (Config, error) {
	var cfg Config
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, listHook),
		WeaklyTypedInput: true, // environment values are strings: "true", "100"
		Metadata:         &md,
		Result:           &cfg,
		TagName:          "mapstructure",
	})
	if err != nil {
		return Config{}, err
	}
	if err := dec.Decode(settings); err != nil {
		return Config{}, keyOf(err)
	}
	if len(md.Unused) > 0 {
		slices.Sort(md.Unused)
		return Config{}, &KeyError{Key: dotted(md.Unused[0]), Err: ErrUnknownKey}
	}
	return cfg, nil
}

// keyOf turns mapstructure's "'sip.ring_timeout' …" errors into a KeyError.
func keyOf(err error) error {
	var de *mapstructure.DecodeError
	if errors.As(err, &de) {
		return &KeyError{Key: dotted(de.Name()), Err: fmt.Errorf("%w: %w", ErrBadValue, de.Unwrap())}
	}
	return fmt.Errorf("%w: %w", ErrBadValue, err)
}

// dotted writes mapstructure's map-entry names as the file does:
// "release[8014].status" → "release.8014.status".
func dotted(name string) string {
	return strings.NewReplacer("[", ".", "]", "").Replace(name)
}

var durationType = reflect.TypeFor[time.Duration]()

// durationHook decodes durations from strings with Go's units plus a "d"
// day suffix ("90d", "1d12h"), used by retention keys. A bare number is
// refused (YAML "ring_timeout: 90" would otherwise mean 90 ns).
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType || from == durationType {
		return data, nil
	}
	switch from.Kind() {
	case reflect.String:
		return ParseDuration(data.(string))
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		if reflect.ValueOf(data).IsZero() {
			return time.Duration(0), nil
		}
		return nil, fmt.Errorf("duration %v has no unit (write e.g. \"90s\")", data)
	}
	return data, nil
}

// ParseDuration is time.ParseDuration plus a leading whole number of days:
// "90d", "7d", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad day count", s)
		}
		var rest time.Duration
		if s[i+1:] != "" {
			if rest, err = time.ParseDuration(s[i+1:]); err != nil {
				return 0, err
			}
		}
		return time.Duration(n)*day + rest, nil
	}
	return time.ParseDuration(s)
}

// listHook decodes a comma-separated string into a list ("a, b" → [a b];
// "" → empty), for list keys set by environment (SPEC §8).
func listHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	out := []string{}
	for _, p := range strings.Split(data.(string), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// applyEnv sets every XNUM_ variable of environ on v; one that names no key
// is refused. Keys of the override maps are open-ended, so their variables
// are matched by shape: XNUM_RELEASE_<code>_<field>, XNUM_B_FAILURE_<status>_<field>.
func applyEnv(v *viper.Viper, environ, keys []string) error {
	byEnv := make(map[string]string, len(keys))
	for _, k := range keys {
		byEnv[envName(k)] = k
	}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, envPrefix) || clientVars[name] {
			continue
		}
		if k, ok := byEnv[name]; ok {
			v.Set(k, val)
			continue
		}
		if k, ok := mapEnvKey(name); ok {
			v.Set(k, val)
			continue
		}
		return &KeyError{Key: name, Err: fmt.Errorf("%w: environment variable names no config key", ErrUnknownKey)}
	}
	return nil
}

func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// mapEnvKey maps XNUM_RELEASE_8014_SIP_STATUS → release.8014.sip_status and
// XNUM_B_FAILURE_503_Q850 → b_failure.503.q850.
func mapEnvKey(name string) (string, bool) {
	for _, m := range []struct {
		prefix, key string
		fields      []string
	}{
		{"XNUM_RELEASE_", "release", []string{"sip_status", "q850"}},
		{"XNUM_B_FAILURE_", "b_failure", []string{"cause", "sip_status", "q850"}},
	} {
		rest, ok := strings.CutPrefix(name, m.prefix)
		if !ok {
			continue
		}
		id, field, ok := strings.Cut(rest, "_")
		if !ok || id == "" {
			return "", false
		}
		for _, f := range m.fields {
			if strings.ToUpper(f) == field {
				return m.key + "." + id + "." + f, true
			}
		}
	}
	return "", false
}

// leafKeys lists the dotted keys of every non-map field of t, from its
// mapstructure tags: the keys that have a default and an XNUM_ variable.
func leafKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		switch f.Type.Kind() {
		case reflect.Struct:
			keys = append(keys, leafKeys(f.Type, key+".")...)
		case reflect.Map:
			// open-ended keys: no default, environment by shape (mapEnvKey)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// valueAt returns the field of v at a dotted key made by leafKeys.
func valueAt(v reflect.Value, key string) any {
	for _, part := range strings.Split(key, ".") {
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("mapstructure") == part {
				v = v.Field(i)
				break
			}
		}
	}
	return v.Interface()
}
