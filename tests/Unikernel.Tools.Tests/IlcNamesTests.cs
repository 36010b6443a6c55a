using Unikernel.Tools.Inspect;

namespace Unikernel.Tools.Tests;

public class IlcNamesTests
{
    private const string CoreLib = "System.Private.CoreLib";

    [Theory]
    [InlineData("S_P_CoreLib_System_String__Concat", CoreLib, "System", "String")]
    [InlineData("app:S_P_CoreLib_System_Text_UTF8Encoding__GetBytes", CoreLib, "System.Text", "UTF8Encoding")]
    [InlineData("S_P_CoreLib_System_Number___cctor", CoreLib, "System", "Number")]
    [InlineData("S_P_CoreLib_System_Array__Resize<UInt8>", CoreLib, "System", "Array")]
    [InlineData("S_P_CoreLib_System_Collections_Generic_List_1<System___Canon>__Add", CoreLib, "System.Collections.Generic", "List`1")]
    [InlineData("S_P_CoreLib_System_Collections_Generic_Dictionary_2_Enumerator<Int32__Int32>__MoveNext", CoreLib, "System.Collections.Generic", "Dictionary`2.Enumerator")]
    [InlineData("S_P_CoreLib_System_Comparison_1<S_P_CoreLib_System_String>__InvokeOpenStaticThunk", CoreLib, "System", "Comparison`1")]
    [InlineData("S_P_CoreLib_Interop_Sys__Read", CoreLib, "Interop", "Sys")]
    [InlineData("S_P_StackTraceMetadata_Internal_StackTraceMetadata_MethodNameFormatter__EmitName", "System.Private.StackTraceMetadata", "Internal.StackTraceMetadata", "MethodNameFormatter")]
    [InlineData("S_P_Reflection_Execution_Internal_Reflection_Execution_ExecutionEnvironmentImplementation__GetType", "System.Private.Reflection.Execution", "Internal.Reflection.Execution", "ExecutionEnvironmentImplementation")]
    [InlineData("S_P_TypeLoader_Internal_NativeFormat_NativeReader__DecodeUnsigned", "System.Private.TypeLoader", "Internal.NativeFormat", "NativeReader")]
    // Other framework assemblies: the namespace starts where the assembly's first word comes back.
    [InlineData("System_Console_System_ConsolePal__Write", "System.Console", "System", "ConsolePal")]
    [InlineData("System_Console_System_TermInfo_Database__GetString", "System.Console", "System.TermInfo", "Database")]
    [InlineData("System_Console_Interop__GetIOException", "System.Console", "", "Interop")]
    [InlineData("System_Linq_System_Linq_Enumerable__Sum", "System.Linq", "System.Linq", "Enumerable")]
    [InlineData("System_Text_Json_System_Text_Json_JsonSerializer__Serialize", "System.Text.Json", "System.Text.Json", "JsonSerializer")]
    [InlineData("Microsoft_Extensions_Logging_Microsoft_Extensions_Logging_Logger__Log", "Microsoft.Extensions.Logging", "Microsoft.Extensions.Logging", "Logger")]
    [InlineData("MyCompany_Web_MyCompany_Web_Controllers_HomeController__Index", "MyCompany.Web", "MyCompany.Web.Controllers", "HomeController")]
    // The app: top-level statements, lambdas, the module's entry wrapper.
    [InlineData("hello_Program___Main__", "hello", "", "Program")]
    [InlineData("app:hello_Program___c__DisplayClass0_0____Main___b__0", "hello", "", "Program")]
    [InlineData("hello__Module___MainMethodWrapper", "hello", "", "<Module>")]
    [InlineData("System_Console__PrivateImplementationDetails___InlineArrayAsReadOnlySpan<System___Canon>", "System.Console", "", "<PrivateImplementationDetails>")]
    [InlineData("Internal_CompilerGenerated__Module___<DynamicInvoke>None<Object>", IlcNames.CompilerGenerated, "", "<Module>")]
    // The system module's well-known types have no assembly prefix; helpers and boxing wrap other names.
    [InlineData("String__Concat_5", CoreLib, "System", "String")]
    [InlineData("unbox_UInt32__ToString_2", CoreLib, "System", "UInt32")]
    [InlineData("<Boxed>S_P_CoreLib_System_Nullable_1<Int32>__GetHashCode", CoreLib, "System", "Nullable`1")]
    [InlineData("__GetGCStaticBase_S_P_CoreLib_System_Environment", CoreLib, "System", "Environment")]
    [InlineData("__GetNonGCStaticBase_System_Console_System_ConsolePal", "System.Console", "System", "ConsolePal")]
    [InlineData("__GenericLookupFromType_S_P_CoreLib_System_Collections_Generic_List_1<System___Canon>_GCStaticBase_S_P_CoreLib_System_Collections_Generic_List_1<T_System___Canon>", CoreLib, "System.Collections.Generic", "List`1")]
    [InlineData("__DelegateCtor_S_P_CoreLib_System_Delegate__InitializeClosedInstance__hello_Program___c__DisplayClass0_0____Main___b__0", CoreLib, "System", "Delegate")]
    public void GroupsIlcNames(string symbol, string assembly, string ns, string type)
    {
        var name = IlcNames.Demangle(symbol, ["hello"]);
        Assert.NotNull(name);
        Assert.Equal((assembly, ns, type), (name.Assembly, name.Namespace, name.Type));
    }

    [Theory]
    [InlineData("_ZN3WKS7gc_heap14virtual_commitEPvmiiPb")]   // C++ (the GC)
    [InlineData("SystemNative_Read")]                         // C with an underscore
    [InlineData("RhpNewFast")]
    [InlineData("strspn")]
    [InlineData("pthread_create")]
    [InlineData("__libc_start_main")]
    [InlineData("_start_c")]
    [InlineData("")]
    [InlineData("app:")]
    [InlineData("<unclosed")]
    public void IsNullForNamesThatAreNotIlcMethods(string symbol) => Assert.Null(IlcNames.Demangle(symbol));

    [Fact]
    public void AKnownAssemblyWithDotsWins()
    {
        var name = IlcNames.Demangle("My_App_Program__Main", ["My.App"]);
        Assert.Equal(("My.App", "", "Program"), (name!.Assembly, name.Namespace, name.Type));
    }

    [Fact]
    public void TheKernelsSystemModuleIsItsOwn()
    {
        var kernel = IlcNames.Demangle("Kernel_Kernel_Syscalls_PathSyscalls__RemoveDirectory", systemModule: "Core");
        Assert.Equal(("Kernel", "Kernel.Syscalls", "PathSyscalls"), (kernel!.Assembly, kernel.Namespace, kernel.Type));
        var core = IlcNames.Demangle("Core_Internal_Runtime_MethodTable__GetSealedVirtualSlot", systemModule: "Core");
        Assert.Equal(("Core", "Internal.Runtime", "MethodTable"), (core!.Assembly, core.Namespace, core.Type));
        Assert.Equal("Core", IlcNames.Demangle("String__Concat", systemModule: "Core")!.Assembly);
    }

    [Fact]
    public void GlobalNamespaceHasADisplayName()
        => Assert.Equal(IlcName.GlobalNamespace, IlcNames.Demangle("hello_Program__Main")!.NamespaceOrGlobal);

    [Theory]
    [InlineData("System.Private.CoreLib", "System_Private_CoreLib")]
    [InlineData("my-app", "my_app")]
    public void SanitizesLikeIlc(string name, string expected) => Assert.Equal(expected, IlcNames.Sanitize(name));
}
