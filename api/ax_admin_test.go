package api_test

import (
	"net/http"
	"net/url"
	"testing"
)

// The admin API's freeze, suspend and number removal act on the new modes
// as SPEC §3 and issue 4 say: frozen → 1010029 on changes, unfreeze
// restores everything; a suspended X is never picked and resume gives it
// back; removing an X removes its bindings.
func TestAdminActsOnModes(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.admin(http.MethodPost, "/admin/v1/apps", map[string]any{"appKey": "shopax", "appSecret": "shop-ax-secret", "mode": "AX"})
	expect(t, a, "0", http.StatusOK)
	a = e.admin(http.MethodPost, "/admin/v1/apps/shopax/numbers",
		map[string]any{"numbers": []string{"+8617800000001", "+8617800000002"}, "areaCode": "0755"})
	expect(t, a, "0", http.StatusOK)
	c := cred{key: "shopax", secret: "shop-ax-secret"}

	id, x := e.axBind(c, map[string]any{"origNum": numA, "privateNum": "+8617800000001", "userData": "keep"})
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/shopax/freeze", nil), "0", http.StatusOK)
	expect(t, e.at(c, http.MethodPost, axPath, nil, map[string]any{"origNum": numB}), "1010029", http.StatusForbidden)
	expect(t, e.at(c, http.MethodPut, axPath, nil, map[string]any{"subscriptionId": id, "userData": "x"}), "1010029", http.StatusForbidden)
	expect(t, e.at(c, http.MethodDelete, axPath, url.Values{"subscriptionId": {id}}, nil), "1010029", http.StatusForbidden)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/shopax/unfreeze", nil), "0", http.StatusOK)
	a = e.at(c, http.MethodGet, axPath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("privateNum") != x || a.str("origNum") != numA || a.str("userData") != "keep" {
		t.Errorf("binding changed across freeze: %s", a.raw)
	}

	// The other X suspended: no free X for a bind that lets xnum pick.
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/shopax/numbers/+8617800000002/suspend", nil), "0", http.StatusOK)
	expect(t, e.at(c, http.MethodPost, axPath, nil, map[string]any{"origNum": numB}), "1011002", http.StatusConflict)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/shopax/numbers/%2B8617800000002/resume", nil), "0", http.StatusOK)
	_, x2 := e.axBind(c, map[string]any{"origNum": numB})
	if x2 != "+8617800000002" {
		t.Errorf("after resume bound %s", x2)
	}

	// Removing the X removes its binding.
	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/shopax/numbers/+8617800000001", nil), "0", http.StatusOK)
	expect(t, e.at(c, http.MethodGet, axPath, url.Values{"subscriptionId": {id}}, nil), "1016001", http.StatusNotFound)

	// An AXE app made through the admin API gets 4-digit extensions.
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps", map[string]any{"appKey": "shopaxe", "appSecret": "shop-axe-secret", "mode": "AXE"}), "0", http.StatusOK)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/shopaxe/numbers", map[string]any{"numbers": []string{"+8617800000009"}}), "0", http.StatusOK)
	_, _, ext := e.axeBind(cred{key: "shopaxe", secret: "shop-axe-secret"}, map[string]any{"bindNum": numA})
	if len(ext) != 4 {
		t.Errorf("extension %q, want 4 digits", ext)
	}
}

// Every mode path is behind the signature checks of SPEC §5.
func TestModePathsAuthenticate(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	for _, r := range []struct {
		method, path string
		c            cred
	}{
		{http.MethodPost, axPath, axA}, {http.MethodPut, axPath, axA}, {http.MethodGet, axPath, axA},
		{http.MethodDelete, axPath, axA}, {http.MethodPut, axCalleePath, axA},
		{http.MethodPost, axePath, axeA}, {http.MethodPut, axePath, axeA}, {http.MethodGet, axePath, axeA},
		{http.MethodDelete, axePath, axeA},
		{http.MethodPost, axybPath, ybA}, {http.MethodGet, axybPath, ybA}, {http.MethodDelete, axybPath, ybA},
	} {
		expect(t, e.request(r.method, r.path, nil, map[string]any{}, nil), "1023006", http.StatusBadRequest)
		wrong := r.c
		wrong.secret = "not-the-secret"
		expect(t, e.at(wrong, r.method, r.path, nil, map[string]any{}), "1020176", http.StatusUnauthorized)
		expect(t, e.at(cred{key: "nosuchapp", secret: "whatever-secret"}, r.method, r.path, nil, map[string]any{}),
			"1010003", http.StatusUnauthorized)
	}
}
