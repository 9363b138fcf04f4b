package sip

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// tortureRow is one line of testdata/torture/README.md.
type tortureRow struct {
	file, section, expect string
}

// tortureTable reads the expected verdicts from the README, so the table
// that documents the torture set is the one the tests enforce.
func tortureTable(t *testing.T) []tortureRow {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "torture", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tortureRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| valid/") && !strings.HasPrefix(line, "| invalid/") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 6 {
			t.Fatalf("README row %q: want 5 cells", line)
		}
		rows = append(rows, tortureRow{
			file:    strings.TrimSpace(cells[1]),
			section: strings.TrimSpace(cells[2]),
			expect:  strings.TrimSpace(cells[4]),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTorture runs every RFC 4475 message through sipgo's parser and
// CheckRequest and compares with the README's verdict.
func TestTorture(t *testing.T) {
	rows := tortureTable(t)
	files, err := filepath.Glob(filepath.Join("testdata", "torture", "*", "*.sip"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		if listed[r.file] {
			t.Errorf("README lists %s twice", r.file)
		}
		listed[r.file] = true
	}
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, filepath.Join("testdata", "torture")+string(filepath.Separator)))
		if !listed[rel] {
			t.Errorf("%s has no row in testdata/torture/README.md", rel)
		}
	}
	if len(rows) != len(files) {
		t.Errorf("README has %d rows, testdata/torture has %d files", len(rows), len(files))
	}

	for _, r := range rows {
		t.Run(strings.TrimSuffix(r.file, ".sip"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "torture", filepath.FromSlash(r.file)))
			if err != nil {
				t.Fatal(err)
			}
			head, _, found := bytes.Cut(data, []byte("\r\n\r\n"))
			if !found || bytes.Contains(bytes.ReplaceAll(head, []byte("\r\n"), nil), []byte("\r")) ||
				bytes.Count(head, []byte("\n")) != bytes.Count(head, []byte("\r\n")) {
				t.Fatalf("%s: header lines must end in CRLF", r.file)
			}
			msg, perr := sip.NewParser().ParseSIP(data)
			switch r.expect {
			case "parse":
				if perr == nil {
					t.Fatalf("sipgo now parses %s (RFC 4475 §%s): decide its CheckRequest verdict and update the README", r.file, r.section)
				}
				return
			case "response":
				if perr != nil {
					t.Fatalf("parse: %v", perr)
				}
				if _, ok := msg.(*sip.Response); !ok {
					t.Fatalf("want a response, got %T", msg)
				}
				return
			}
			if perr != nil {
				t.Fatalf("sipgo refuses %s (RFC 4475 §%s): %v", r.file, r.section, perr)
			}
			req, isReq := msg.(*sip.Request)
			if !isReq {
				t.Fatalf("want a request, got %T", msg)
			}
			status, reason, extra, ok := CheckRequest(req)
			if r.expect == "ok" {
				if !ok {
					t.Fatalf("want ok, got %d %q", status, reason)
				}
				vAssertSafe(t, req)
				return
			}
			want, err := strconv.Atoi(r.expect)
			if err != nil {
				t.Fatalf("README expect %q: %v", r.expect, err)
			}
			if ok || status != want {
				t.Fatalf("want %d, got ok=%v %d %q", want, ok, status, reason)
			}
			if strings.HasPrefix(r.file, "valid/") && !strings.Contains(tortureNote(t, r.file), "deviation") {
				t.Fatalf("%s is valid per RFC 4475 but refused without a documented deviation", r.file)
			}
			vAssertExtra(t, status, extra)
		})
	}
}

func tortureNote(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "torture", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.HasPrefix(line, "| "+file+" ") {
			cells := strings.Split(line, "|")
			return cells[5]
		}
	}
	return ""
}

// vAssertExtra: 420 must say what is unsupported, 415 what is accepted, and
// every extra header must be safe to send.
func vAssertExtra(t *testing.T, status int, extra []sip.Header) {
	t.Helper()
	names := map[string]string{}
	for _, h := range extra {
		if !SafeHeaderValue(h.Value()) {
			t.Errorf("extra %s: unsafe value %q", h.Name(), h.Value())
		}
		names[h.Name()] = h.Value()
	}
	switch status {
	case 420:
		if names["Unsupported"] == "" {
			t.Errorf("420 without Unsupported: %v", extra)
		}
	case 415:
		if names["Accept"] != "application/sdp" {
			t.Errorf("415 without Accept: application/sdp: %v", extra)
		}
	default:
		if len(extra) != 0 {
			t.Errorf("%d with extra headers %v", status, extra)
		}
	}
}

// vAssertSafe: an accepted request carries no value unsafe to echo.
func vAssertSafe(t testing.TB, req *sip.Request) {
	t.Helper()
	for _, h := range req.Headers() {
		if !SafeHeaderValue(h.Value()) {
			t.Fatalf("accepted request has unsafe %s: %q", h.Name(), h.Value())
		}
	}
	if !SafeToAnswer(req) {
		t.Fatal("accepted request is not safe to answer")
	}
	if !SafeHeaderValue(req.Recipient.String()) {
		t.Fatalf("accepted request has unsafe Request-URI %q", req.Recipient.String())
	}
}

// vHdrs is a header section under construction, one "Name: value" per line.
type vHdrs []string

func vInvite() vHdrs {
	return vHdrs{
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc123",
		"Max-Forwards: 70",
		"From: <sip:+8613800000001@192.0.2.10>;tag=a1",
		"To: <sip:+8617000000001@xnum.example>",
		"Call-ID: test-1@192.0.2.10",
		"CSeq: 1 INVITE",
		"Contact: <sip:+8613800000001@192.0.2.10:5060>",
		"Content-Type: application/sdp",
	}
}

func vOptions() vHdrs {
	return vHdrs{
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-opt1",
		"Max-Forwards: 70",
		"From: <sip:probe@192.0.2.10>;tag=o1",
		"To: <sip:xnum.example>",
		"Call-ID: opt-1@192.0.2.10",
		"CSeq: 7 OPTIONS",
	}
}

// set replaces every field called name (case-insensitive) by line, or
// appends line when there is none; an empty line deletes them.
func (h vHdrs) set(name, line string) vHdrs {
	out := make(vHdrs, 0, len(h)+1)
	done := false
	for _, l := range h {
		n, _, _ := strings.Cut(l, ":")
		if strings.EqualFold(strings.TrimSpace(n), name) {
			if !done && line != "" {
				out = append(out, line)
			}
			done = true
			continue
		}
		out = append(out, l)
	}
	if !done && line != "" {
		out = append(out, line)
	}
	return out
}

func (h vHdrs) add(lines ...string) vHdrs { return append(append(vHdrs{}, h...), lines...) }

const vSDP = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

// wire renders a message, adding Content-Length unless h has one.
func vWire(start string, h vHdrs, body string) []byte {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	hasCL := false
	for _, l := range h {
		n, _, _ := strings.Cut(l, ":")
		if n = strings.ToLower(strings.TrimSpace(n)); n == "content-length" || n == "l" {
			hasCL = true
		}
		b.WriteString(l + "\r\n")
	}
	if !hasCL {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return []byte(b.String())
}

func vParse(t testing.TB, data []byte) *sip.Request {
	t.Helper()
	msg, err := sip.NewParser().ParseSIP(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		t.Fatalf("not a request: %T", msg)
	}
	return req
}

const vInviteLine = "INVITE sip:+8617000000001@xnum.example SIP/2.0"

// TestCheckRequest: one row per rule, on messages parsed by sipgo.
func TestCheckRequest(t *testing.T) {
	long := strings.Repeat("a", MaxHeaderValueLen+1)
	manyVias := vInvite()
	for i := range maxSameHeader {
		manyVias = manyVias.add("Via: SIP/2.0/UDP hop" + strconv.Itoa(i) + ".example;branch=z9hG4bK-h" + strconv.Itoa(i))
	}
	tests := []struct {
		name   string
		data   []byte
		status int // 0: ok
		extra  string
	}{
		{"plain INVITE", vWire(vInviteLine, vInvite(), vSDP), 0, ""},
		{"INVITE without body", vWire(vInviteLine, vInvite().set("Content-Type", ""), ""), 0, ""},
		{"OPTIONS", vWire("OPTIONS sip:xnum.example SIP/2.0", vOptions(), ""), 0, ""},
		{"tel Request-URI", vWire("INVITE tel:+8617000000001 SIP/2.0", vInvite(), vSDP), 0, ""},
		{"IPv6 hosts", vWire("INVITE sip:+8617000000001@[2001:db8::1]:5060 SIP/2.0",
			vInvite().set("Via", "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bK-v6"), vSDP), 0, ""},
		{"lower-case version", vWire("INVITE sip:+8617000000001@xnum.example sip/2.0", vInvite(), vSDP), 0, ""},
		{"compact forms", vWire(vInviteLine, vHdrs{
			"v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-c1", "Max-Forwards: 70", "f: <sip:a@192.0.2.10>;tag=x",
			"t: <sip:b@xnum.example>", "i: c1@192.0.2.10", "CSeq: 1 INVITE", "m: <sip:a@192.0.2.10>", "c: application/sdp",
		}, vSDP), 0, ""},
		{"RFC 2543 Via without branch", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/2.0/UDP 192.0.2.10"), vSDP), 0, ""},
		{"Content-Type with parameters", vWire(vInviteLine, vInvite().set("Content-Type", "Content-Type: Application/SDP; charset=utf-8"), vSDP), 0, ""},
		{"Accept allowing SDP", vWire(vInviteLine, vInvite().add("Accept: application/sdp, application/isup"), vSDP), 0, ""},
		{"Accept wildcard", vWire(vInviteLine, vInvite().add("Accept: */*"), vSDP), 0, ""},
		{"Require on CANCEL ignored", vWire("CANCEL sip:+8617000000001@xnum.example SIP/2.0",
			vInvite().set("CSeq", "CSeq: 1 CANCEL").set("Content-Type", "").add("Require: 100rel"), ""), 0, ""},
		{"ACK without Max-Forwards", vWire("ACK sip:+8617000000001@xnum.example SIP/2.0",
			vInvite().set("CSeq", "CSeq: 1 ACK").set("Max-Forwards", "").set("Content-Type", "").set("Contact", ""), ""), 0, ""},
		{"Date in GMT", vWire(vInviteLine, vInvite().add("Date: Sat, 13 Nov 2010 23:29:00 GMT"), vSDP), 0, ""},
		{"Expires", vWire(vInviteLine, vInvite().add("Expires: 4294967295"), vSDP), 0, ""},
		{"quoted and host parameters", vWire(vInviteLine, vInvite().set("Contact", `Contact: "A" <sip:a@192.0.2.10>;+sip.instance="<urn:uuid:1>";q=0.5`).
			set("Via", "Via: SIP/2.0/UDP 192.0.2.10;received=2001:db8::1;rport;branch=z9hG4bK-q"), vSDP), 0, ""},
		{"display name and UTF-8 value", vWire(vInviteLine, vInvite().set("From", `From: "张三" <sip:+8613800000001@192.0.2.10>;tag=a1`).add("Subject: 你好"), vSDP), 0, ""},
		{"Max-Forwards 0 on OPTIONS", vWire("OPTIONS sip:xnum.example SIP/2.0", vOptions().set("Max-Forwards", "Max-Forwards: 0"), ""), 0, ""},
		{"Max-Forwards 0 on re-INVITE", vWire(vInviteLine, vInvite().set("To", "To: <sip:+8617000000001@xnum.example>;tag=b1").set("Max-Forwards", "Max-Forwards: 0"), vSDP), 0, ""},
		{"Max-Forwards 255", vWire(vInviteLine, vInvite().set("Max-Forwards", "Max-Forwards: 255"), vSDP), 0, ""},

		{"SIP/3.0", vWire("INVITE sip:+8617000000001@xnum.example SIP/3.0", vInvite(), vSDP), 505, ""},
		{"version not SIP", vWire("INVITE sip:+8617000000001@xnum.example SIPx2.0", vInvite(), vSDP), 400, ""},
		{"missing Call-ID", vWire(vInviteLine, vInvite().set("Call-ID", ""), vSDP), 400, ""},
		{"missing From", vWire(vInviteLine, vInvite().set("From", ""), vSDP), 400, ""},
		{"missing To", vWire(vInviteLine, vInvite().set("To", ""), vSDP), 400, ""},
		{"missing Max-Forwards on INVITE", vWire(vInviteLine, vInvite().set("Max-Forwards", ""), vSDP), 400, ""},
		{"missing Contact on INVITE", vWire(vInviteLine, vInvite().set("Contact", ""), vSDP), 400, ""},
		{"two Contacts on INVITE", vWire(vInviteLine, vInvite().add("Contact: <sip:other@192.0.2.11>"), vSDP), 400, ""},
		{"wildcard Contact on INVITE", vWire(vInviteLine, vInvite().set("Contact", "Contact: *"), vSDP), 400, ""},
		{"tel Contact on INVITE", vWire(vInviteLine, vInvite().set("Contact", "Contact: <tel:+8613800000001>"), vSDP), 400, ""},
		{"two From", vWire(vInviteLine, vInvite().add("From: <sip:x@192.0.2.10>;tag=b"), vSDP), 400, ""},
		{"To list", vWire(vInviteLine, vInvite().set("To", "To: <sip:a@xnum.example>, <sip:b@xnum.example>"), vSDP), 400, ""},
		{"two Call-IDs", vWire(vInviteLine, vInvite().add("i: other@192.0.2.10"), vSDP), 400, ""},
		{"two Max-Forwards", vWire(vInviteLine, vInvite().add("Max-Forwards: 69"), vSDP), 400, ""},
		{"two Content-Types", vWire(vInviteLine, vInvite().add("c: application/sdp"), vSDP), 400, ""},
		{"Call-ID with space", vWire(vInviteLine, vInvite().set("Call-ID", "Call-ID: a b@c"), vSDP), 400, ""},
		{"CSeq method mismatch", vWire(vInviteLine, vInvite().set("CSeq", "CSeq: 1 BYE"), vSDP), 400, ""},
		{"method not a token", vWire("INV<ITE sip:+8617000000001@xnum.example SIP/2.0", vInvite().set("CSeq", "CSeq: 1 INV<ITE"), vSDP), 400, ""},
		{"From without tag", vWire(vInviteLine, vInvite().set("From", "From: <sip:+8613800000001@192.0.2.10>"), vSDP), 400, ""},
		{"From tag not a token", vWire(vInviteLine, vInvite().set("From", `From: <sip:a@192.0.2.10>;tag="x y"`), vSDP), 400, ""},
		{"From host invalid", vWire(vInviteLine, vInvite().set("From", "From: <sip:a@bad_host!>;tag=a1"), vSDP), 400, ""},
		{"From user invalid", vWire(vInviteLine, vInvite().set("From", "From: <sip:a\"b@192.0.2.10>;tag=a1"), vSDP), 400, ""},
		{"From with URI headers", vWire(vInviteLine, vInvite().set("From", "From: <sip:a@192.0.2.10?Subject=x>;tag=a1"), vSDP), 400, ""},
		{"To list after a tag", vWire(vInviteLine, vInvite().set("To", "To: <sip:a@xnum.example>;tag=1, <sip:b@xnum.example>"), vSDP), 400, ""},
		{"To parameter not a token", vWire(vInviteLine, vInvite().set("To", "To: <sip:a@xnum.example>;a<b=1"), vSDP), 400, ""},
		{"Contact parameter value bad", vWire(vInviteLine, vInvite().set("Contact", "Contact: <sip:a@192.0.2.10>;expires=1 2"), vSDP), 400, ""},
		{"To without host", vWire(vInviteLine, vInvite().set("To", "To: <sip:user@>"), vSDP), 400, ""},
		{"Contact with URI headers", vWire(vInviteLine, vInvite().set("Contact", "Contact: <sip:a@192.0.2.10?Route=x>"), vSDP), 400, ""},
		{"Request-URI user invalid", vWire("INVITE sip:a{b@xnum.example SIP/2.0", vInvite(), vSDP), 400, ""},
		{"Request-URI port out of range", vWire("INVITE sip:a@xnum.example:70000 SIP/2.0", vInvite(), vSDP), 400, ""},
		{"Via bare magic cookie", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK"), vSDP), 400, ""},
		{"Via empty branch", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/2.0/UDP 192.0.2.10;branch="), vSDP), 400, ""},
		{"Via without sent-by", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/2.0/UDP ;branch=z9hG4bK-x"), vSDP), 400, ""},
		{"Via bad host", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/2.0/UDP -host-;branch=z9hG4bK-x"), vSDP), 400, ""},
		{"Via SIP/1.0", vWire(vInviteLine, vInvite().set("Via", "Via: SIP/1.0/UDP 192.0.2.10;branch=z9hG4bK-x"), vSDP), 400, ""},
		{"LF in a value", vWire(vInviteLine, vInvite().add("Subject: hi\nX-Injected: yes"), vSDP), 400, ""},
		{"NUL in a value", vWire(vInviteLine, vInvite().add("Subject: a\x00b"), vSDP), 400, ""},
		{"ESC in a value", vWire(vInviteLine, vInvite().add("Subject: a\x1bb"), vSDP), 400, ""},
		{"DEL in a value", vWire(vInviteLine, vInvite().add("Subject: a\x7fb"), vSDP), 400, ""},
		{"LF in Call-ID", vWire(vInviteLine, vInvite().set("Call-ID", "Call-ID: abc\nX-Injected: yes"), vSDP), 400, ""},
		{"header name with space", vWire(vInviteLine, vInvite().add("X Bad: 1"), vSDP), 400, ""},
		{"Max-Forwards 256", vWire(vInviteLine, vInvite().set("Max-Forwards", "Max-Forwards: 256"), vSDP), 400, ""},
		{"Date not GMT", vWire(vInviteLine, vInvite().add("Date: Sat, 13 Nov 2010 23:29:00 CST"), vSDP), 400, ""},
		{"Date garbage", vWire(vInviteLine, vInvite().add("Date: yesterday"), vSDP), 400, ""},
		{"Expires too large", vWire(vInviteLine, vInvite().add("Expires: 4294967296"), vSDP), 400, ""},
		{"body without Content-Type", vWire(vInviteLine, vInvite().set("Content-Type", ""), vSDP), 400, ""},
		{"Require tag not a token", vWire(vInviteLine, vInvite().add("Require: a<b"), vSDP), 400, ""},

		{"unknown Request-URI scheme", vWire("INVITE urn:service:sos SIP/2.0", vInvite(), vSDP), 416, ""},
		{"http Request-URI", vWire("OPTIONS http://xnum.example/ SIP/2.0", vOptions(), ""), 416, ""},
		{"Max-Forwards 0 on initial INVITE", vWire(vInviteLine, vInvite().set("Max-Forwards", "Max-Forwards: 0"), vSDP), 483, ""},
		{"Require 100rel", vWire(vInviteLine, vInvite().add("Require: 100rel"), vSDP), 420, "100rel"},
		{"Require timer twice", vWire(vInviteLine, vInvite().add("Require: timer", "Require: Timer, precondition"), vSDP), 420, "timer, precondition"},
		{"Require on OPTIONS", vWire("OPTIONS sip:xnum.example SIP/2.0", vOptions().add("Require: foo"), ""), 420, "foo"},
		{"INVITE with XML body", vWire(vInviteLine, vInvite().set("Content-Type", "Content-Type: application/xml"), "<a/>"), 415, ""},
		{"INVITE with multipart body", vWire(vInviteLine, vInvite().set("Content-Type", "Content-Type: multipart/mixed;boundary=x"), "--x--\r\n"), 415, ""},
		{"UPDATE with XML body", vWire("UPDATE sip:a@192.0.2.20 SIP/2.0",
			vInvite().set("CSeq", "CSeq: 2 UPDATE").set("Content-Type", "Content-Type: application/xml"), "<a/>"), 415, ""},
		{"gzip SDP", vWire(vInviteLine, vInvite().add("Content-Encoding: gzip"), vSDP), 415, ""},
		{"Accept without SDP", vWire(vInviteLine, vInvite().add("Accept: text/plain"), vSDP), 406, ""},

		{"value too long", vWire(vInviteLine, vInvite().add("Subject: "+long), vSDP), 513, ""},
		{"too many Vias", vWire(vInviteLine, manyVias, vSDP), 513, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := vParse(t, tt.data)
			status, reason, extra, ok := CheckRequest(req)
			if tt.status == 0 {
				if !ok {
					t.Fatalf("want ok, got %d %q", status, reason)
				}
				if status != 0 || reason != "" || extra != nil {
					t.Fatalf("ok with a verdict: %d %q %v", status, reason, extra)
				}
				vAssertSafe(t, req)
				return
			}
			if ok || status != tt.status {
				t.Fatalf("want %d, got ok=%v %d %q", tt.status, ok, status, reason)
			}
			if reason == "" || !SafeHeaderValue(reason) {
				t.Fatalf("reason %q", reason)
			}
			vAssertExtra(t, status, extra)
			if tt.extra != "" {
				if len(extra) != 1 || extra[0].Name() != "Unsupported" || extra[0].Value() != tt.extra {
					t.Fatalf("want Unsupported: %s, got %v", tt.extra, extra)
				}
			}
		})
	}
}

// TestCheckRequestBuilt covers what sipgo's parser never lets through but
// code (or another sipgo version) can produce.
func TestCheckRequestBuilt(t *testing.T) {
	good := func() *sip.Request {
		return vParse(t, vWire(vInviteLine, vInvite(), vSDP))
	}
	tests := []struct {
		name   string
		mutate func(*sip.Request)
		status int
	}{
		{"CSeq above 2^31-1", func(r *sip.Request) { r.CSeq().SeqNo = 1 << 31 }, 400},
		{"Content-Length larger than body", func(r *sip.Request) {
			cl := sip.ContentLengthHeader(len(vSDP) + 1)
			r.ReplaceHeader(&cl)
		}, 400},
		{"Content-Length smaller than body", func(r *sip.Request) {
			cl := sip.ContentLengthHeader(1)
			r.ReplaceHeader(&cl)
		}, 400},
		{"Max-Forwards not a number", func(r *sip.Request) {
			r.RemoveHeader("Max-Forwards")
			r.AppendHeader(sip.NewHeader("Max-Forwards", "ten"))
		}, 400},
		{"Content-Length not a number", func(r *sip.Request) {
			r.RemoveHeader("Content-Length")
			r.AppendHeader(sip.NewHeader("Content-Length", "-1"))
		}, 400},
		{"CR in a display name", func(r *sip.Request) { r.From().DisplayName = "a\r\nX-Injected: 1" }, 400},
		{"CR in a Via parameter", func(r *sip.Request) { r.Via().Params.Add("received", "1.2.3.4\r\nX: y") }, 400},
		{"Via port out of range", func(r *sip.Request) { r.Via().Port = 70000 }, 400},
		{"version with NUL", func(r *sip.Request) { r.SipVersion = "SIP/2.0\x00" }, 400},
		{"too many headers", func(r *sip.Request) {
			for i := range maxHeaders {
				r.AppendHeader(sip.NewHeader("X-H"+strconv.Itoa(i), "1"))
			}
		}, 513},
		{"message too large", func(r *sip.Request) { r.SetBody(bytes.Repeat([]byte("a"), maxMessage)) }, 513},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			if _, _, _, ok := CheckRequest(req); !ok {
				t.Fatal("base request refused")
			}
			tt.mutate(req)
			status, reason, _, ok := CheckRequest(req)
			if ok || status != tt.status {
				t.Fatalf("want %d, got ok=%v %d %q", tt.status, ok, status, reason)
			}
		})
	}
	if status, _, _, ok := CheckRequest(nil); ok || status != 400 {
		t.Fatalf("nil request: ok=%v %d", ok, status)
	}
}

// TestCheckRequestDoesNotModify: a verdict leaves the request as it was.
func TestCheckRequestDoesNotModify(t *testing.T) {
	for _, data := range [][]byte{
		vWire(vInviteLine, vInvite(), vSDP),
		vWire(vInviteLine, vInvite().add("Require: 100rel"), vSDP),
	} {
		req := vParse(t, data)
		before := req.String()
		CheckRequest(req)
		if after := req.String(); after != before {
			t.Fatalf("request changed:\n%s\n---\n%s", before, after)
		}
	}
}

func TestSafeToAnswer(t *testing.T) {
	tests := []struct {
		name string
		h    vHdrs
		want bool
	}{
		{"clean", vInvite(), true},
		{"LF in Subject (not echoed)", vInvite().add("Subject: a\nb"), true},
		{"LF in Call-ID", vInvite().set("Call-ID", "Call-ID: a\nX: b"), false},
		{"NUL in To display name", vInvite().set("To", "To: \"a\\\x00\" <sip:b@xnum.example>"), false},
		{"LF in Via branch", vInvite().set("Via", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-a\nX: b"), false},
		{"LF in CSeq method", vInvite().set("CSeq", "CSeq: 1 INV\nITE"), false},
		{"LF in Record-Route", vInvite().add("Record-Route: <sip:p.exa\nmple;lr>"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := vParse(t, vWire(vInviteLine, tt.h, vSDP))
			if got := SafeToAnswer(req); got != tt.want {
				t.Fatalf("SafeToAnswer = %v, want %v", got, tt.want)
			}
		})
	}
	if SafeToAnswer(nil) {
		t.Fatal("SafeToAnswer(nil) = true")
	}
}

func TestSafeHeaderValue(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"+8613800000001", true},
		{`"x" <sip:+8617000000001@xnum.example>;tag=abc`, true},
		{"a\tb", true},
		{"张三", true},
		{"\xff\xfe", true},
		{strings.Repeat("a", MaxHeaderValueLen), true},
		{strings.Repeat("a", MaxHeaderValueLen+1), false},
		{"a\rb", false},
		{"a\nb", false},
		{"a\r\nVia: evil", false},
		{"a\x00", false},
		{"\x01", false},
		{"a\x1f", false},
		{"a\x7f", false},
	}
	for _, tt := range tests {
		if got := SafeHeaderValue(tt.in); got != tt.want {
			t.Errorf("SafeHeaderValue(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSafeUser(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"+8613800000001", true},
		{"13800000001", true},
		{"alice.smith", true},
		{"user;par=u%40example.net", true},
		{"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", true},
		{"%75se%72", true},
		{"I%20have%20spaces", true},
		{"%E5%BC%A0", true},
		{strings.Repeat("1", maxUserLen), true},
		{"", false},
		{strings.Repeat("1", maxUserLen+1), false},
		{"a b", false},
		{"a@b", false},
		{"a:b", false},
		{"a<b", false},
		{"a\"b", false},
		{"a\r\nb", false},
		{"null-%00-null", false},
		{"%0D%0A", false},
		{"%7f", false},
		{"%", false},
		{"%4", false},
		{"%zz", false},
		{"//a", false},
		{"/a", false},
		{"a/b", true},
		{"张三", false},
	}
	for _, tt := range tests {
		if got := SafeUser(tt.in); got != tt.want {
			t.Errorf("SafeUser(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// BenchmarkCheckRequest measures the verdict on a typical carrier INVITE.
func BenchmarkCheckRequest(b *testing.B) {
	req := vParse(b, vWire(vInviteLine, vInvite().add(
		"P-Asserted-Identity: <sip:+8613800000001@192.0.2.10>",
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE",
		"Supported: timer, 100rel",
		"Session-Expires: 1800",
	), vSDP))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, ok := CheckRequest(req); !ok {
			b.Fatal("refused")
		}
	}
}
