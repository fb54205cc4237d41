import re,sys,os,collections
PAT=[("NSRegularExpression",r"\bNSRegularExpression\b"),("ISO8601DateFormatter",r"\bISO8601DateFormatter\b"),("DateFormatter",r"(?<!ISO8601)\bDateFormatter\b"),
("NumberFormatter",r"\bNumberFormatter\b"),("String(format:)",r"String\(format:"),("trimmingCharacters",r"\.trimmingCharacters\("),
("CharacterSet",r"\bCharacterSet\b|in: \.(whitespaces|whitespacesAndNewlines|newlines|decimalDigits|alphanumerics)\b"),
("replacingOccurrences",r"\.replacingOccurrences\("),("range(of:)",r"\.range\(of:"),("removingPercentEncoding",r"removingPercentEncoding"),
("addingPercentEncoding",r"addingPercentEncoding"),("NSString / path API",r"\bNSString\b|\.deletingLastPathComponent\b|\.appendingPathComponent\(|\.lastPathComponent\b|\.pathExtension\b|\.deletingPathExtension\b|expandingTildeInPath"),
("NSHomeDirectory",r"\bNSHomeDirectory\("),("Thread",r"\bThread\s*[\({.]|\bThread\.|: Thread\b"),("NSCondition",r"\bNSCondition\b"),("NSLock",r"\bNSLock\b|\bNSRecursiveLock\b"),
("FileHandle",r"\bFileHandle\b"),("Process/Pipe",r"\bProcess\(\)|\bPipe\(\)|: Process\b"),("localizedDescription",r"\.localizedDescription\b"),
("Unicode normalisation",r"(de|pre)composedStringWith(Canonical|Compatibility)Mapping"),("padding(toLength:)",r"\.padding\(toLength"),
("NSNumber/NSNull/NSError/NSObject",r"\bNS(Number|Null|Error|Object|Array|Dictionary|Data)\b"),("Bundle/RunLoop/Timer",r"\bBundle\.|\bRunLoop\b|\bTimer\b"),
("caseInsensitiveCompare",r"[cC]aseInsensitiveCompare|\.compare\(.*options:"),("URLSession",r"\bURLSession\b"),("NSRange",r"\bNSRange\b"),
("FileManager attributes (ok in Essentials)",r"$^"),]
root=sys.argv[1]; out=collections.OrderedDict()
for dp,dn,fn in sorted(os.walk(root)):
    for f in sorted(fn):
        if not f.endswith('.swift'): continue
        p=os.path.join(dp,f); s=open(p,errors='replace').read()
        imp=re.findall(r'^\s*(?:@preconcurrency )?(?:(?:package|public|internal) )?import (Foundation\w*)',s,re.M)
        if not any(i in('Foundation',) for i in imp): continue
        # strip comments
        s2=re.sub(r'//.*','',s)
        hits=[]
        for name,rx in PAT:
            n=len(re.findall(rx,s2))
            if n: hits.append(f"{name}×{n}")
        out[p]=hits
for p,h in out.items(): print(p.replace(root+'/',''),'|', ', '.join(h) if h else '(none — only FoundationEssentials API; switch the import)')
