/* Marks one version requirement (e.g. GLIBCXX_3.4.32) of an ELF64 shared library as weak
 * (VER_FLG_WEAK), so the dynamic loader accepts a system library that lacks that version.
 * Usage: elf_weaken_version FILE VERSION. Exit 0 when patched or already weak, 1 when absent,
 * 2 on I/O or format errors. Used by fix-libtorchsharp.sh on a copy in the build output only. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE VERSION\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "r+b");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(size);
    if (!b || fread(b, 1, size, f) != (size_t)size) { fprintf(stderr, "%s: read failed\n", argv[1]); return 2; }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "%s: not an ELF64 file\n", argv[1]); return 2;
    }
    Elf64_Shdr *sh = (Elf64_Shdr *)(b + eh->e_shoff);
    int found = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        const char *strtab = (const char *)(b + sh[sh[i].sh_link].sh_offset);
        unsigned char *p = b + sh[i].sh_offset;
        for (;;) {
            Elf64_Verneed *vn = (Elf64_Verneed *)p;
            unsigned char *q = p + vn->vn_aux;
            for (int j = 0; j < vn->vn_cnt; j++) {
                Elf64_Vernaux *va = (Elf64_Vernaux *)q;
                if (strcmp(strtab + va->vna_name, argv[2]) == 0) {
                    va->vna_flags |= VER_FLG_WEAK;
                    fseek(f, (long)(q - b), SEEK_SET);
                    if (fwrite(va, sizeof *va, 1, f) != 1) { fprintf(stderr, "%s: write failed\n", argv[1]); return 2; }
                    found = 1;
                }
                if (!va->vna_next) break;
                q += va->vna_next;
            }
            if (!vn->vn_next) break;
            p += vn->vn_next;
        }
    }
    fclose(f);
    return found ? 0 : 1;
}
