// Shim for Debian 12 (GCC 12 libstdc++): defines std::ios_base_library_init(), which GCC 13's
// <iostream> references (GLIBCXX_3.4.32) and TorchSharp 0.107's libLibTorchSharp.so was built against.
// In GCC 13 the function only guarantees that the standard streams are initialised; here the
// std::ios_base::Init object that <iostream> declares in this translation unit does that.
#include <iostream>

extern "C" void giantsharp_ios_base_library_init() __asm__("_ZSt21ios_base_library_initv");
extern "C" void giantsharp_ios_base_library_init() {}
