import json,sys,re,collections
snap=json.load(open(sys.argv[1]))
sm=snap["smaps"].split('\n')
maps=[]; cur=None
for l in sm:
    m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) (\S+) \S+ \S+\s*(.*)$',l)
    if m:
        cur={"lo":int(m.group(1),16),"hi":int(m.group(2),16),"perm":m.group(3),"off":int(m.group(4),16),"name":m.group(5).strip(),"f":{}}
        maps.append(cur); continue
    m=re.match(r'^(\w+):\s+(\d+) kB',l)
    if m and cur: cur["f"][m.group(1)]=int(m.group(2))
tot=collections.Counter(); rows=[]
for x in maps:
    n=x["name"]; base=n.split('/')[-1] if n.startswith('/') else n
    if n=='' : kind='anon'
    elif n.startswith('[stack'): kind='[stack]'
    else: kind=base
    key=(kind,x["perm"])
    rows.append((x["f"].get("Rss",0),kind,x["perm"],(x["hi"]-x["lo"])//1024,x["f"].get("Anonymous",0),x["f"].get("Private_Clean",0),x["off"]))
    tot[key]+=x["f"].get("Rss",0)
print("| mapping | perm | RSS kB |"); print("|---|---|---:|")
for (k,p),v in sorted(tot.items(), key=lambda kv:-kv[1]):
    if v>=64: print(f"| {k} | {p} | {v:,} |")
print("total RSS kB", sum(tot.values()))
# anon mapping size histogram (thread stacks are 8 MiB + guard typically)
print("\nanon mappings by size (KiB) -> count, rss:")
h=collections.defaultdict(lambda:[0,0])
for r in rows:
    if r[1]=='anon': h[(r[3],r[2])][0]+=1; h[(r[3],r[2])][1]+=r[0]
for (sz,p),(c,rss) in sorted(h.items(), key=lambda kv:-kv[1][1])[:25]: print(f"  {sz:>9,} KiB {p}: {c} maps, rss {rss:,} kB")
