{
  "variables": {
    "pl_cflags_cc": ["-std=c++20", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-Wno-maybe-uninitialized"]
  },
  "targets": [
    {
      "target_name": "pretrain_lab_native",
      "sources": ["src/addon.cpp", "src/kernels_generic.cpp"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "cflags_cc": ["<@(pl_cflags_cc)", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"]
      },
      "conditions": [
        [
          "target_arch=='x64' and OS!='win'",
          {
            "defines": ["PL_X86=1"],
            "dependencies": ["kernels_avx2", "kernels_avx512", "kernels_avx512emu"]
          }
        ]
      ]
    }
  ],
  "conditions": [
    [
      "target_arch=='x64' and OS!='win'",
      {
        "targets": [
          {
            "target_name": "kernels_avx2",
            "type": "static_library",
            "sources": ["src/kernels_avx2.cpp"],
            "defines": ["PL_X86=1"],
            "cflags_cc!": ["-std=gnu++17"],
            "cflags_cc": ["<@(pl_cflags_cc)", "-mavx2", "-mfma"],
            "xcode_settings": {
              "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
              "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-mavx2", "-mfma"]
            }
          },
          {
            "target_name": "kernels_avx512",
            "type": "static_library",
            "sources": ["src/kernels_avx512.cpp"],
            "defines": ["PL_X86=1"],
            "cflags_cc!": ["-std=gnu++17"],
            "cflags_cc": ["<@(pl_cflags_cc)", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma"],
            "xcode_settings": {
              "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
              "OTHER_CPLUSPLUSFLAGS": [
                "-O3",
                "-ffp-contract=off",
                "-fno-math-errno",
                "-mavx512f",
                "-mavx512dq",
                "-mavx512bw",
                "-mavx512vl",
                "-mfma"
              ]
            }
          },
          {
            "target_name": "kernels_avx512emu",
            "type": "static_library",
            "sources": ["src/kernels_avx512emu.cpp"],
            "defines": ["PL_X86=1"],
            "cflags_cc!": ["-std=gnu++17"],
            "cflags_cc": ["<@(pl_cflags_cc)", "-mavx2", "-mfma"],
            "xcode_settings": {
              "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
              "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-mavx2", "-mfma"]
            }
          }
        ]
      }
    ]
  ]
}
