package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// FuzzModeBodies: the AX, AXE and AXYB bodies are outside input. Every
// operation either succeeds or fails with a code of the table — never a
// panic, never an internal error — and a 1010002 names a field.
func FuzzModeBodies(f *testing.F) {
	f.Add(`{"origNum":"+8613800000001","privateNum":"+8617400000001","calleeNum":"95588","duration":60}`)
	f.Add(`{"bindNum":"13800000002","extendNum":"012","callbackNum":"+8613800000003","callbackTone":"no_binding","timeUnit":"1","bindExpiredTime":"5"}`)
	f.Add(`{"origNum":"+8613800000004","duration":600,"ybDuration":601,"callDirection":2,"bNum":"+8613800000005","yNum":"x"}`)
	f.Add(`{"subscriptionId":"abc","virtualNum":"+8617500000001","extendNum":"1","preVoice":{"calleeHintTone":7}}`)
	f.Add(`{"areaCode":"0755","areaMatchMode":1,"maxDuration":"1440","recordFlag":"false","userData":"\u0000"}`)
	st, err := store.Open(f.TempDir(), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	plan, err := routing.NewPlan(routing.DefaultPlanConfig())
	if err != nil {
		f.Fatal(err)
	}
	apps := map[routing.Mode]routing.App{}
	for i, m := range []routing.Mode{routing.ModeAX, routing.ModeAXE, routing.ModeAXYB} {
		a := routing.App{Key: "fz" + string(m), Secret: "fuzz-secret", Mode: m, ExtLen: 3}
		if err := st.CreateApp(a); err != nil {
			f.Fatal(err)
		}
		x := routing.Number("+861740000000" + string(rune('1'+i)))
		if m == routing.ModeAXE {
			x = "+8617500000001"
		}
		if err := st.AddNumbers(a.Key, []routing.Number{x}, "0755"); err != nil {
			f.Fatal(err)
		}
		apps[m] = a
	}
	s := New(Deps{Store: st, Plan: plan})
	ops := []struct {
		mode routing.Mode
		h    restHandler
	}{
		{routing.ModeAX, s.axBind}, {routing.ModeAX, s.axModify}, {routing.ModeAX, s.axQuery},
		{routing.ModeAX, s.axUnbind}, {routing.ModeAX, s.axSetCallee},
		{routing.ModeAXE, s.axeBind}, {routing.ModeAXE, s.axeModify}, {routing.ModeAXE, s.axeQuery},
		{routing.ModeAXE, s.axeUnbind},
		{routing.ModeAXYB, s.axybBind}, {routing.ModeAXYB, s.axybQuery}, {routing.ModeAXYB, s.axybUnbind},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, op := range ops {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			p, err := readParams(httptest.NewRecorder(), r, false)
			if err == nil {
				_, err = op.h(r, apps[op.mode], p)
			}
			if err == nil {
				continue
			}
			code, desc := classify(mapStoreErr(err))
			if code == CodeInternal {
				t.Fatalf("%s: internal error %v", op.mode, err)
			}
			if code == CodeInvalidRequest && !strings.HasPrefix(desc, "invalid ") {
				t.Fatalf("%s: 1010002 naming no field: %q", op.mode, desc)
			}
		}
	})
}
