import re,sys,collections
lines=open(sys.argv[1],errors='replace').read().split('\n')
inc=[]  # (member, requester, symbol)
i=0
while not lines[i].startswith('Archive member included'): i+=1
i+=1
while i < len(lines):
    l=lines[i]
    if l.startswith('Memory map') or l.startswith('Discarded') or l.startswith('Allocating common'): break
    if l and not l.startswith(' '):
        mem=l.strip(); j=i+1
        m=re.match(r'^\s+(\S+)\s+\((.*)\)\s*$', lines[j]) if j<len(lines) else None
        if m: inc.append((mem,m.group(1),m.group(2))); i=j
    i+=1
def lib(x):
    m=re.search(r'/([^/()]+\.a)\(',x); 
    if m: return m.group(1)
    m=re.search(r'/objs/([^/]+)\.build/',x)
    return ('pkg:'+m.group(1)) if m else x.split('/')[-1]
FND={'libFoundation.a','libFoundationInternationalization.a','lib_FoundationICU.a','libCoreFoundation.a','libFoundationNetworking.a'}
# direct entries from non-Foundation code into the full-Foundation archives
entries=collections.defaultdict(list)
for mem,req,sym in inc:
    if lib(mem) in FND and lib(req) not in FND:
        entries[(lib(req),lib(mem))].append((req.split('/')[-1],mem.split('(')[-1].rstrip(')'),sym))
for (r,m),v in sorted(entries.items()):
    print(f"== {r} -> {m}: {len(v)} members")
    for x in v[:12]: print("    ",x)
print("members per archive:",collections.Counter(lib(m) for m,_,_ in inc if lib(m) in FND))
