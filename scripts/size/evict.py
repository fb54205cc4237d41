import os,sys
for f in sys.argv[1:]:
    fd=os.open(f,os.O_RDONLY); os.fsync(fd) if False else None
    os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)
