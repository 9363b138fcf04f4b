package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The management API paths of SPEC §5 [HW].
const (
	axbPath      = "/rest/caas/relationnumber/partners/v1.0"
	axPath       = "/rest/provision/caas/privatenumber/v1.0"
	axCalleePath = "/rest/caas/privatenumber/calleenumber/v1.0"
	axePath      = "/rest/caas/extendnumber/v1.0"
	axybPath     = "/rest/omp/xyrelationnumber/v1.0"
)

// akskFlags are an enterprise's credentials: the management API is signed
// per app, not with the admin token.
type akskFlags struct {
	api, key, secret string
}

func (f *akskFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&f.api, "api", defaultAPI, "base URL of the xnum API")
	fs.StringVar(&f.key, "app-key", "", "appKey of the app (required)")
	fs.StringVar(&f.secret, "app-secret", "", "appSecret of the app (required)")
}

func (f *akskFlags) client(cmd *cobra.Command) (*apiClient, error) {
	if f.key == "" || f.secret == "" {
		return nil, errors.New("--app-key and --app-secret are required")
	}
	return newAPIClient(f.api, cmd.OutOrStdout(), func(r *http.Request) error {
		return signAKSK(r, f.key, f.secret, time.Now())
	})
}

// signAKSK adds the X-AKSK headers of SPEC §5: PasswordDigest =
// Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created)).
func signAKSK(r *http.Request, appKey, appSecret string, now time.Time) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	nonce := hex.EncodeToString(b[:])
	created := now.UTC().Format("2006-01-02T15:04:05Z")
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(nonce + created))
	digest := base64.StdEncoding.EncodeToString(m.Sum(nil))
	r.Header.Set("Authorization", `AKSK realm="SDP",profile="UsernameToken",type="Appkey"`)
	r.Header.Set("X-AKSK", fmt.Sprintf(`UsernameToken Username="%s",PasswordDigest="%s",Nonce="%s",Created="%s"`,
		appKey, digest, nonce, created))
	return nil
}

// The operations of `xnum bind`.
const (
	opCreate = "create"
	opModify = "modify"
	opQuery  = "query"
	opUnbind = "unbind"
	opCallee = "callee" // AX temporary callee
)

// bindOp is one operation of one mode: its method, path, and the vendor's
// field name for each of the CLI's roles (SPEC §5). A role a mode's
// operation does not take is absent, and using its flag is an error.
type bindOp struct {
	method, path string
	fields       map[string]string // flag → field
}

// Flags of `xnum bind` that name a field (the rest are --set).
const (
	flagA        = "a"
	flagB        = "b"
	flagX        = "x"
	flagExt      = "ext"
	flagSub      = "subscription-id"
	flagArea     = "area-code"
	flagAreaMode = "area-match-mode"
	flagDir      = "call-direction"
	flagDuration = "duration"
	flagMaxDur   = "max-duration"
	flagUserData = "user-data"
)

// bindOps is the table of every mode's operations.
var bindOps = map[string]map[string]bindOp{
	"AXB": {
		opCreate: {http.MethodPost, axbPath, map[string]string{flagA: "callerNum", flagB: "calleeNum", flagX: "relationNum",
			flagArea: "areaCode", flagAreaMode: "areaMatchMode", flagDir: "callDirection", flagDuration: "duration",
			flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opModify: {http.MethodPut, axbPath, map[string]string{flagSub: "subscriptionId", flagA: "callerNum", flagB: "calleeNum",
			flagDir: "callDirection", flagDuration: "duration", flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opQuery:  {http.MethodGet, axbPath, map[string]string{flagSub: "subscriptionId", flagX: "relationNum", flagA: "callerNum", flagB: "calleeNum"}},
		opUnbind: {http.MethodDelete, axbPath, map[string]string{flagSub: "subscriptionId", flagX: "relationNum", flagA: "callerNum", flagB: "calleeNum"}},
	},
	"AX": {
		opCreate: {http.MethodPost, axPath, map[string]string{flagA: "origNum", flagX: "privateNum", flagArea: "areaCode",
			flagAreaMode: "areaMatchMode", flagDuration: "duration", flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opModify: {http.MethodPut, axPath, map[string]string{flagSub: "subscriptionId", flagX: "privateNum", flagA: "origNum",
			flagDuration: "duration", flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opQuery:  {http.MethodGet, axPath, map[string]string{flagSub: "subscriptionId", flagA: "origNum", flagX: "privateNum"}},
		opUnbind: {http.MethodDelete, axPath, map[string]string{flagSub: "subscriptionId", flagX: "privateNum"}},
		opCallee: {http.MethodPut, axCalleePath, map[string]string{flagSub: "subscriptionId", flagX: "privateNum", flagB: "calleeNum"}},
	},
	"AXE": {
		opCreate: {http.MethodPost, axePath, map[string]string{flagA: "bindNum", flagX: "virtualNum", flagExt: "extendNum",
			flagArea: "areaCode", flagAreaMode: "areaMatchMode", flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opModify: {http.MethodPut, axePath, map[string]string{flagSub: "subscriptionId", flagX: "virtualNum", flagExt: "extendNum",
			flagA: "bindNum", flagMaxDur: "maxDuration", flagUserData: "userData"}},
		opQuery:  {http.MethodGet, axePath, map[string]string{flagSub: "subscriptionId", flagX: "virtualNum", flagExt: "extendNum"}},
		opUnbind: {http.MethodDelete, axePath, map[string]string{flagSub: "subscriptionId", flagX: "virtualNum", flagExt: "extendNum"}},
	},
	"AXYB": {
		opCreate: {http.MethodPost, axybPath, map[string]string{flagA: "origNum", flagX: "privateNum", flagArea: "areaCode",
			flagAreaMode: "areaMatchMode", flagDir: "callDirection", flagDuration: "duration", flagMaxDur: "maxDuration",
			flagUserData: "userData"}},
		opQuery:  {http.MethodGet, axybPath, map[string]string{flagSub: "subscriptionId", flagX: "relationNum", flagA: "origNum"}},
		opUnbind: {http.MethodDelete, axybPath, map[string]string{flagSub: "subscriptionId", flagB: "bNum"}},
	},
}

// bindFlags are the values of `xnum bind`'s flags.
type bindFlags struct {
	aksk akskFlags
	mode string
	vals map[string]*string
	set  []string
}

// newBindCmd is `xnum bind`: every operation of the management API of
// every mode (SPEC §5), X-AKSK signed with the app's credentials. Without
// an operation it creates, as the AXB-only command did.
func newBindCmd() *cobra.Command {
	f := &bindFlags{vals: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "bind [create|modify|query|unbind|callee] --mode MODE --app-key KEY --app-secret SECRET ...",
		Short: "Create, modify, query or unbind a binding of any mode (management API, X-AKSK signed)",
		Long: "Sends one SPEC §5 management request. --a, --b, --x, --ext name the parties in every mode\n" +
			"(AXB callerNum/calleeNum/relationNum, AX origNum/privateNum and the temporary calleeNum,\n" +
			"AXE bindNum/virtualNum/extendNum, AXYB origNum/privateNum or relationNum/bNum); --set NAME=VALUE\n" +
			"sends any other field (preVoice.callerHintTone=… for nested ones). Only flags given are sent.",
		Args: cobra.NoArgs,
		Example: "  xnum bind --mode AXB --app-key demo --app-secret demo-secret --caller +8613800000003 --callee +8613800000004\n" +
			"  xnum bind create --mode AX --app-key shop --app-secret s3cret --a +8613800000003 --area-code 0755\n" +
			"  xnum bind callee --mode AX --app-key shop --app-secret s3cret --x +8617000000100 --b 95588\n" +
			"  xnum bind modify --mode AXE --app-key shop --app-secret s3cret --subscription-id ID --set callbackTone=no_binding\n" +
			"  xnum bind query --mode AXYB --app-key shop --app-secret s3cret --x +8617000000100\n" +
			"  xnum bind unbind --mode AXYB --app-key shop --app-secret s3cret --subscription-id ID --b +8613800000004",
		RunE: func(c *cobra.Command, _ []string) error { return f.run(c, opCreate) },
	}
	pf := cmd.PersistentFlags()
	f.aksk.register(pf)
	pf.StringVar(&f.mode, "mode", "AXB", "the app's mode: AX, AXB, AXE or AXYB")
	for _, fl := range []struct{ name, help string }{
		{flagA, "A: callerNum (AXB), origNum (AX, AXYB), bindNum (AXE)"},
		{flagB, "B: calleeNum (AXB; AX temporary callee), bNum (AXYB unbind of one relation)"},
		{flagX, "X: relationNum (AXB; AXYB query), privateNum (AX, AXYB), virtualNum (AXE)"},
		{flagExt, "AXE extension (extendNum)"},
		{flagSub, "the binding's subscriptionId"},
		{flagArea, "pick a free X of this area code"},
		{flagAreaMode, "0 only that area, 1 that area first, then the province, then any"},
		{flagDir, "callDirection: 0 both, 1 only A→B, 2 only B→A"},
		{flagDuration, "seconds until the binding expires (0 = never)"},
		{flagMaxDur, "minutes a call may last (0 = no limit)"},
		{flagUserData, "opaque data echoed in events and CDRs"},
	} {
		f.vals[fl.name] = pf.String(fl.name, "", fl.help)
	}
	// The AXB-only command's names stay.
	f.vals["caller"] = pf.String("caller", "", "same as --a")
	f.vals["callee"] = pf.String("callee", "", "same as --b")
	pf.StringArrayVar(&f.set, "set", nil, "send another field: NAME=VALUE (repeatable; a.b=V nests)")
	for _, op := range []string{opCreate, opModify, opQuery, opUnbind, opCallee} {
		cmd.AddCommand(&cobra.Command{
			Use:   op,
			Short: opShort[op],
			Args:  cobra.NoArgs,
			RunE:  func(c *cobra.Command, _ []string) error { return f.run(c, op) },
		})
	}
	return cmd
}

var opShort = map[string]string{
	opCreate: "Bind (POST)",
	opModify: "Modify a binding (PUT): the fields given replace the stored ones",
	opQuery:  "Query bindings (GET)",
	opUnbind: "Unbind (DELETE)",
	opCallee: "AX: set the temporary callee (--b) of a binding",
}

// newUnbindCmd is `xnum unbind`, kept as a shorthand of `xnum bind unbind`.
func newUnbindCmd() *cobra.Command {
	f := &bindFlags{vals: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "unbind --app-key KEY --app-secret SECRET (--subscription-id ID | --x X) [--mode MODE]",
		Short: "Unbind a binding (same as `xnum bind unbind`)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return f.run(c, opUnbind) },
	}
	fs := cmd.Flags()
	f.aksk.register(fs)
	fs.StringVar(&f.mode, "mode", "AXB", "the app's mode: AX, AXB, AXE or AXYB")
	for _, name := range []string{flagSub, flagX, flagA, flagB, flagExt} {
		f.vals[name] = fs.String(name, "", "see `xnum bind --help`")
	}
	fs.StringArrayVar(&f.set, "set", nil, "send another field: NAME=VALUE (repeatable)")
	return cmd
}

// run sends operation op of f.mode with the fields given.
func (f *bindFlags) run(c *cobra.Command, op string) error {
	mode := strings.ToUpper(f.mode)
	ops, ok := bindOps[mode]
	if !ok {
		return fmt.Errorf("--mode %q: want AX, AXB, AXE or AXYB (X-mode apps have no bindings)", f.mode)
	}
	o, ok := ops[op]
	if !ok {
		return fmt.Errorf("%s has no %s operation (SPEC §5)", mode, op)
	}
	fields, err := f.fields(c, mode, op, o)
	if err != nil {
		return err
	}
	cl, err := f.aksk.client(c)
	if err != nil {
		return err
	}
	if o.method == http.MethodGet || o.method == http.MethodDelete {
		q := url.Values{}
		for k, v := range fields {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("--set %s: nested fields go in a body, not in a %s query", k, o.method)
			}
			q.Set(k, s)
		}
		return cl.do(c.Context(), o.method, o.path, q, nil)
	}
	return cl.do(c.Context(), o.method, o.path, nil, fields)
}

// fields maps the flags that were given to the operation's field names,
// then adds --set; values stay strings (the API reads "60" and "true").
func (f *bindFlags) fields(c *cobra.Command, mode, op string, o bindOp) (map[string]any, error) {
	out := map[string]any{}
	alias := map[string]string{"caller": flagA, "callee": flagB}
	names := make([]string, 0, len(f.vals))
	for name := range f.vals {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !c.Flags().Changed(name) {
			continue
		}
		role := name
		if r, ok := alias[name]; ok {
			role = r
		}
		field, ok := o.fields[role]
		if !ok {
			return nil, fmt.Errorf("--%s is not used by %s %s (use --set NAME=VALUE for other fields)", name, mode, op)
		}
		if _, dup := out[field]; dup {
			return nil, fmt.Errorf("--%s: %s given twice", name, field)
		}
		out[field] = *f.vals[name]
	}
	for _, kv := range f.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want NAME=VALUE", kv)
		}
		if err := setPath(out, strings.Split(k, "."), v); err != nil {
			return nil, fmt.Errorf("--set %q: %w", kv, err)
		}
	}
	if len(out) == 0 && op != opCreate {
		return nil, fmt.Errorf("%s %s needs the binding: --subscription-id, or --x (see --help)", mode, op)
	}
	return out, nil
}

// setPath puts v at path in m, making nested objects on the way.
func setPath(m map[string]any, path []string, v string) error {
	for _, p := range path[:len(path)-1] {
		if p == "" {
			return errors.New("empty name")
		}
		next, ok := m[p].(map[string]any)
		if !ok {
			if _, taken := m[p]; taken {
				return fmt.Errorf("%s is not an object", p)
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	last := path[len(path)-1]
	if last == "" {
		return errors.New("empty name")
	}
	m[last] = v
	return nil
}
