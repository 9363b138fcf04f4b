package api

import (
	"errors"
	"fmt"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// The demo of SPEC §8 (demo.enabled).
const (
	DemoAppKey    = "demo"
	DemoAppSecret = "demo-secret"
)

// demoX are the demo app's X numbers +8617000000000 … +8617000000009.
func demoX() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = fmt.Sprintf("+861700000000%d", i)
	}
	return out
}

// DemoStore is what ProvisionDemo needs of the store.
type DemoStore interface {
	CreateApp(a routing.App) error
	GetApp(key string) (routing.App, error)
	AddNumbers(appKey string, nums []routing.Number, areaCode string) error
	BindAXB(r store.BindRequest) (routing.Binding, error)
	BindingByParty(x, n routing.Number) (routing.Binding, bool, error)
}

// ProvisionDemo creates the demo of SPEC §8: app demo / demo-secret in mode
// AXB, X numbers +8617000000000 … +8617000000009, and the binding
// +8613800000001 – +8617000000000 – +8613800000002 (never expiring, both
// directions). It is idempotent: what exists is kept as it is (a demo app
// that an operator changed is not reset).
func ProvisionDemo(st DemoStore, plan *routing.Plan) error {
	err := st.CreateApp(routing.App{Key: DemoAppKey, Secret: DemoAppSecret, Mode: routing.ModeAXB, AnswerBeforeCollect: true})
	if err != nil && !errors.Is(err, store.ErrAppExists) {
		return fmt.Errorf("demo app: %w", err)
	}
	var xs []routing.Number
	for _, raw := range demoX() {
		n, _, err := plan.Normalize(raw)
		if err != nil {
			return fmt.Errorf("demo number: %w", err)
		}
		xs = append(xs, n)
	}
	// Re-adding the demo's own numbers keeps their state (store.AddNumbers).
	if err := st.AddNumbers(DemoAppKey, xs, ""); err != nil {
		return fmt.Errorf("demo numbers: %w", err)
	}
	a, _, errA := plan.Normalize("+8613800000001")
	b, _, errB := plan.Normalize("+8613800000002")
	if err := errors.Join(errA, errB); err != nil {
		return fmt.Errorf("demo parties: %w", err)
	}
	if _, ok, err := st.BindingByParty(xs[0], a); err != nil || ok {
		return err
	}
	_, err = st.BindAXB(store.BindRequest{AppKey: DemoAppKey, X: xs[0], A: a, B: b})
	if err != nil && !errors.Is(err, store.ErrBindingExists) {
		return fmt.Errorf("demo binding: %w", err)
	}
	return nil
}
