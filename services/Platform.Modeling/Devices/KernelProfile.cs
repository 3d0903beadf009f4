namespace Platform.Modeling.Devices;

/// <summary>Which kernels time an op's GEMMs (docs/EMULATOR.md §2.5, "Serving kernels").</summary>
public enum KernelProfile
{
    /// <summary>The catalog's: each device's large-GEMM efficiency (MAMF where measured); what training uses.</summary>
    Catalog = 0,

    /// <summary>Serving engines' GEMMs (vLLM's, measured by Vidur on A100: 0.75 of peak against MAMF's 0.869),
    /// the same ratio to the catalog's efficiency on every device.</summary>
    Serving = 1,
}
