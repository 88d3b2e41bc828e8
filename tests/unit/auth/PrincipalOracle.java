// PrincipalOracle.java - the Java side of principal_oracle_test: what the
// JDK itself says, as an independent oracle for our C code.
//
//   java PrincipalOracle.java dn FILE.pem   one line per certificate:
//                                           X500Principal.getName()
//   java PrincipalOracle.java map < CASES   CASES: "rules<TAB>dn" lines;
//                                           prints the mapped name,
//                                           !NoMatch or !Invalid
//
// The mapping follows Kafka's documented ssl.principal.mapping.rules
// semantics with java.util.regex: split the list with Kafka's published
// splitter expression, lookingAt() each rule, matches() the whole DN, then
// dn.replaceAll(pattern, replacement) with $n beyond the group count made
// literal, then the optional L / U case change (Locale.ENGLISH).
// Written for this test; no Kafka code.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class PrincipalOracle {
    static final String RULE =
        "(DEFAULT)|RULE:((\\\\.|[^\\\\/])*)/((\\\\.|[^\\\\/])*)/([LU]?).*?|(.*?)";
    static final Pattern SPLIT = Pattern.compile("\\s*(" + RULE + ")\\s*(,\\s*|$)");
    static final Pattern PARSE = Pattern.compile(RULE);

    record Rule(boolean dflt, Pattern p, String repl, String kase) {}

    static List<Rule> parse(String rules) {
        List<Rule> out = new ArrayList<>();
        Matcher s = SPLIT.matcher(rules.trim());
        while (s.find()) {
            String r = s.group(1);
            Matcher m = PARSE.matcher(r);
            if (!m.lookingAt() || m.end() != r.length())
                throw new IllegalArgumentException(r);
            if (m.group(1) != null)
                out.add(new Rule(true, null, null, ""));
            else if (m.group(2) != null)
                out.add(new Rule(false, Pattern.compile(m.group(2)), m.group(4), m.group(6)));
        }
        return out;
    }

    // "$n" whose number cannot be a group becomes literal text.
    static String literalize(String repl, int groups) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < repl.length(); i++) {
            char c = repl.charAt(i);
            if (c == '\\' && i + 1 < repl.length()) {
                b.append(c).append(repl.charAt(++i));
                continue;
            }
            if (c == '$' && i + 1 < repl.length() && repl.charAt(i + 1) >= '1'
                    && repl.charAt(i + 1) <= '9') {
                int j = i + 1;
                while (j < repl.length() && Character.isDigit(repl.charAt(j)))
                    j++;
                long v = Long.parseLong(repl.substring(i + 1, Math.min(j, i + 10)));
                while (v > groups && v >= 10)
                    v /= 10;
                if (v > groups)
                    b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    static String map(String rules, String dn) {
        List<Rule> list;
        try {
            list = parse(rules);
        } catch (RuntimeException e) {
            return "!Invalid";
        }
        for (Rule r : list) {
            if (r.dflt())
                return dn;
            Matcher m = r.p().matcher(dn);
            if (!m.matches())
                continue;
            String res = dn.replaceAll(r.p().pattern(), literalize(r.repl(), m.groupCount()));
            if (r.kase().equals("L"))
                res = res.toLowerCase(Locale.ENGLISH);
            else if (r.kase().equals("U"))
                res = res.toUpperCase(Locale.ENGLISH);
            return res;
        }
        return "!NoMatch";
    }

    public static void main(String[] args) throws Exception {
        var out = new java.io.PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args[0].equals("dn")) {
            var cf = CertificateFactory.getInstance("X.509");
            try (var in = new FileInputStream(args[1])) {
                for (var c : cf.generateCertificates(in))
                    out.println(((X509Certificate) c).getSubjectX500Principal().getName());
            }
            return;
        }
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null;) {
            int tab = line.indexOf('\t');
            out.println(map(line.substring(0, tab), line.substring(tab + 1)));
        }
    }
}
