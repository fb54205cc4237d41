import json,sys,collections
d=json.load(open(sys.argv[1])); key=sys.argv[2] if len(sys.argv)>2 else 'groups'
NONALLOC=lambda s: s.startswith('.debug') or s in ('.symtab','.strtab','.comment','.note.gnu.gold-version','.shstrtab','.bss','.tbss')
EH=('.eh_frame','.eh_frame_hdr','.gcc_except_table')
DYN=('.dynsym','.dynstr','.gnu.hash','.rela.dyn','.gnu.version','.rela.plt','.dynamic','.got','.got.plt','.plt','.interp','.gnu.version_r','.hash')
rows=[]
for g,v in d[key].items():
    text=v.get('.text',0); ro=v.get('.rodata',0)
    eh=sum(v.get(s,0) for s in EH); dyn=sum(v.get(s,0) for s in DYN)
    tot=sum(b for s,b in v.items() if not NONALLOC(s))
    data=tot-text-ro-eh-dyn
    rows.append((tot,g,text,ro,data,eh,dyn))
rows.sort(reverse=True)
T=sum(r[0] for r in rows)
print(f"| {'origin':60s} | .text | .rodata | data+Swift metadata | eh_frame | dyn tables | total | share |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
lim=int(sys.argv[3]) if len(sys.argv)>3 else 999
other=[0]*6
for i,(tot,g,text,ro,data,eh,dyn) in enumerate(rows):
    if i>=lim:
        for j,x in enumerate((text,ro,data,eh,dyn,tot)): other[j]+=x
        continue
    print(f"| {g:60s} | {text:,} | {ro:,} | {data:,} | {eh:,} | {dyn:,} | **{tot:,}** | {100*tot/T:.1f} % |")
if other[5]: print(f"| (the rest) | {other[0]:,} | {other[1]:,} | {other[2]:,} | {other[3]:,} | {other[4]:,} | **{other[5]:,}** | {100*other[5]/T:.1f} % |")
print(f"| **total (allocated sections, = stripped size minus headers)** | | | | | | **{T:,}** | 100 % |")
