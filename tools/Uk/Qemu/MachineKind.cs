namespace Unikernel.Tools.Qemu;

/// <summary>The QEMU machine models an image is booted on.</summary>
public enum MachineKind
{
    /// <summary>QEMU's minimal virtio-mmio machine: no PCI, no firmware, fastest boot.</summary>
    Microvm,
    /// <summary>The classic PC (i440FX, SeaBIOS loads the PVH kernel through an option ROM).</summary>
    Pc,
    /// <summary>The PCI Express PC (Q35: ECAM, AHCI, PCIe root ports), what UEFI firmware and most clouds give a guest.</summary>
    Q35,
}

public enum Accelerator
{
    /// <summary>KVM when /dev/kvm works for our guests, else TCG.</summary>
    Auto,
    Kvm,
    Tcg,
}
