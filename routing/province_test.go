package routing

import "testing"

// TestChinaProvinces: the embedded table parses, covers every province-level
// division of +86 through its capital, and places major cities right.
func TestChinaProvinces(t *testing.T) {
	p := ChinaProvinces()
	capitals := map[string]string{
		"10": "beijing 北京", "21": "shanghai 上海", "22": "tianjin 天津", "23": "chongqing 重庆",
		"20": "guangdong 广东", "25": "jiangsu 江苏", "571": "zhejiang 浙江", "551": "anhui 安徽",
		"591": "fujian 福建", "791": "jiangxi 江西", "531": "shandong 山东", "371": "henan 河南",
		"27": "hubei 湖北", "731": "hunan 湖南", "771": "guangxi 广西", "898": "hainan 海南",
		"28": "sichuan 四川", "851": "guizhou 贵州", "871": "yunnan 云南", "891": "xizang 西藏",
		"29": "shaanxi 陕西", "931": "gansu 甘肃", "971": "qinghai 青海", "951": "ningxia 宁夏",
		"991": "xinjiang 新疆", "471": "neimenggu 内蒙古", "351": "shanxi 山西", "311": "hebei 河北",
		"24": "liaoning 辽宁", "431": "jilin 吉林", "451": "heilongjiang 黑龙江",
	}
	names := map[string]bool{}
	for code, want := range capitals {
		got, ok := p.Province(code)
		if !ok || got != want {
			t.Errorf("Province(%s) = %q, %v; want %q", code, got, ok, want)
		}
		names[want] = true
	}
	if len(names) != 31 {
		t.Errorf("%d divisions named, want 31", len(names))
	}
	if p.Len() < 300 {
		t.Errorf("only %d area codes", p.Len())
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{"0755", "020", true},  // Shenzhen, Guangzhou
		{"755", "0769", true},  // Shenzhen, Dongguan: with and without trunk prefix
		{"0512", "025", true},  // Suzhou, Nanjing
		{"0557", "0551", true}, // Suzhou (Anhui), Hefei
		{"0512", "0557", false},
		{"0755", "010", false},
		{"0755", "0999", false}, // Yili vs Shenzhen
		{"0755", "0000", false}, // unknown
		{"0000", "0000", false}, // unknown is never "same"
		{"", "", false},
	}
	for _, tt := range tests {
		if got := p.Same(tt.a, tt.b); got != tt.same {
			t.Errorf("Same(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

func TestParseProvinces(t *testing.T) {
	for name, data := range map[string]string{
		"duplicate code": "a: 10\nb: 10\n",
		"no colon":       "a 10\n",
		"letters":        "a: 1x\n",
		"too long":       "a: 1234\n",
		"empty name":     ": 10\n",
	} {
		if _, err := ParseProvinces([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	p, err := ParseProvinces([]byte("# comment\n\na: 10 20\nb: 30\n"))
	if err != nil || !p.Same("010", "20") || p.Same("10", "30") || p.Len() != 3 {
		t.Fatalf("parse: %v %+v", err, p)
	}
}
