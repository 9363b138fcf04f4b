package sip

import (
	"reflect"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestSplitAddresses(t *testing.T) {
	for in, want := range map[string][]string{
		`<sip:+8613800000001@a.example>`:              {`<sip:+8613800000001@a.example>`},
		`"Doe, John" <sip:1@a>, <tel:+8613800000001>`: {`"Doe, John" <sip:1@a>`, `<tel:+8613800000001>`},
		`<sip:1@a;x=",">,<sip:2@b>`:                   {`<sip:1@a;x=",">`, `<sip:2@b>`},
		` , `:                                         nil,
		`<sip:+86138@h;user=phone?Subject=a,b>, "q\" <" <sip:3@c>`: {`<sip:+86138@h;user=phone?Subject=a,b>`, `"q\" <" <sip:3@c>`},
	} {
		if got := splitAddresses(in); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("splitAddresses(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUserOf(t *testing.T) {
	for in, want := range map[string]string{
		"sip:+8613800000001@a.example;user=phone": "+8613800000001",
		"sip:%2B8613800000001@a.example":          "+8613800000001",
		"sips:13800000001@a.example":              "13800000001",
		"tel:+8613800000001":                      "+8613800000001",
		"tel:13800000001;phone-context=+86":       "13800000001;phone-context=+86",
		"sip:anonymous@anonymous.invalid":         "",
		"sip:Anonymous@example.com":               "",
		"sip:+8613800000001@anonymous.invalid":    "",
		"sip:example.com":                         "",
		"mailto:a@b":                              "",
	} {
		var u sip.Uri
		if err := sip.ParseUri(in, &u); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, ok := userOf(&u)
		if got != want || ok != (want != "") {
			t.Errorf("userOf(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
