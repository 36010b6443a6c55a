using Kernel.Console;
using Kernel.Memory;
using Kernel.Net;
using Kernel.Net.Dhcp;
using Kernel.Net.Http;

namespace Kernel.Boot.Cloud
{
    // The cloud's instance metadata server at 169.254.169.254:80, asked over the kernel's own TCP once the network is
    // configured and before the app starts (docs/options.md, "Configuration at boot"):
    //   - AWS IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then with the token
    //     (X-aws-ec2-metadata-token) GET /latest/meta-data/instance-id and /latest/user-data;
    //   - GCE: GET /computeMetadata/v1/instance/id and /computeMetadata/v1/instance/attributes/uk-env (else the
    //     attribute user-data, cloud-init's), with Metadata-Flavor: Google, which the answer must carry too.
    // uk.cloud=auto (the default) asks AWS's way first: GCE's server answers that too, with its Metadata-Flavor
    // header, which sends us the GCE way; any other answer sends us to GCE's requests. Without a network card or an
    // address nothing is tried (an ordinary `uk run` has no card). An unreachable server costs at most
    // uk.cloud.wait seconds, once: the first connection's failure ends the source. One report line says what happened.
    internal static unsafe class InstanceMetadata
    {
        public const string Option = "uk.cloud", WaitOption = "uk.cloud.wait";
        public const int DefaultWaitSeconds = 2;
        private const ushort Port = 80;
        private const string Host = "169.254.169.254";
        private const string GceAttribute = "uk-env";
        private const int ResponseCapacity = UserData.MaxBytes + 4096, RequestCapacity = 1024, MaxTokenBytes = 256;

        private static byte* s_response, s_request;
        private static ulong s_waitNanoseconds, s_started;

        private enum Provider { Off, Auto, Aws, Gce }

        public static int Apply()
        {
            Provider provider = Chosen();
            if (provider == Provider.Off) return -1;
            bool explicitly = provider != Provider.Auto;
            if (!NetworkStack.IsUp)
            {
                if (explicitly) Line(provider, "skipped: the machine has no network card");
                return -1;
            }
            if (NetworkConfiguration.Address == 0 || (NetworkConfiguration.UsesDhcp && !DhcpClient.HasAddress))
            {
                Line(provider, "skipped: the network has no address (DHCP gave none)");
                return -1;
            }
            s_waitNanoseconds = (ulong)BootCommandLine.NumberOption(WaitOption, DefaultWaitSeconds) * 1_000_000_000UL;
            s_started = Time.Clock.MonotonicNanoseconds;
            s_response = (byte*)KernelMemory.AllocateZeroed(ResponseCapacity);
            s_request = (byte*)KernelMemory.AllocateZeroed(RequestCapacity);
            int result = provider == Provider.Gce ? FromGce(explicitly) : FromAws(provider == Provider.Auto);
            PolledHttpClient.Finish();
            KernelMemory.FreeBlock(s_response);
            KernelMemory.FreeBlock(s_request);
            return result;
        }

        private static Provider Chosen()
        {
            int length;
            byte* value = BootCommandLine.Option(Option, out length);
            if (value == null) return Provider.Auto;
            if (BootCommandLine.OptionEquals(Option, "off")) return Provider.Off;
            if (BootCommandLine.OptionEquals(Option, "aws")) return Provider.Aws;
            if (BootCommandLine.OptionEquals(Option, "gce")) return Provider.Gce;
            if (!BootCommandLine.OptionEquals(Option, "auto"))
            {
                KernelConsole.Prefix();
                KernelConsole.Write("cloud: uk.cloud=");
                KernelConsole.WriteEscaped(value, length);
                KernelConsole.WriteLine(" is not auto, aws, gce or off: asking as auto");
            }
            return Provider.Auto;
        }

        private static int FromAws(bool auto)
        {
            HttpResponse response;
            var request = new HttpRequestText(s_request, RequestCapacity, "PUT", "/latest/api/token", Host);
            request.Header("X-aws-ec2-metadata-token-ttl-seconds", "300");
            request.End();
            string problem = Exchange(ref request, out response);
            if (problem != null) return Unreachable(auto ? Provider.Auto : Provider.Aws, problem);
            if (auto && response.HeaderIs("Metadata-Flavor", "Google")) return FromGce(false);
            if (response.Status != 200 || response.BodyLength == 0 || response.BodyLength > MaxTokenBytes)
            {
                if (auto) return FromGce(false);
                return Failed(Provider.Aws, "PUT /latest/api/token", response.Status, "no IMDSv2 token");
            }
            byte* token = stackalloc byte[MaxTokenBytes];
            int tokenLength = Trimmed(response.Body, response.BodyLength, token);

            request = new HttpRequestText(s_request, RequestCapacity, "GET", "/latest/meta-data/instance-id", Host);
            request.Header("X-aws-ec2-metadata-token", token, tokenLength);
            request.End();
            problem = Exchange(ref request, out response);
            if (problem != null) return Failed(Provider.Aws, "GET /latest/meta-data/instance-id", 0, problem);
            if (response.Status != 200) return Failed(Provider.Aws, "GET /latest/meta-data/instance-id", response.Status, "no instance id");
            TakeInstanceId(response.Body, response.BodyLength, Provider.Aws);

            request = new HttpRequestText(s_request, RequestCapacity, "GET", "/latest/user-data", Host);
            request.Header("X-aws-ec2-metadata-token", token, tokenLength);
            request.End();
            problem = Exchange(ref request, out response);
            if (problem != null) return Failed(Provider.Aws, "GET /latest/user-data", 0, problem);
            if (response.Status == 404) return NoUserData(Provider.Aws, "none set");
            if (response.Status != 200) return Failed(Provider.Aws, "GET /latest/user-data", response.Status, "no user data");
            return Apply(Provider.Aws, response.Body, response.BodyLength, "user data");
        }

        private static int FromGce(bool explicitly)
        {
            HttpResponse response;
            var request = GceRequest("/computeMetadata/v1/instance/id");
            string problem = Exchange(ref request, out response);
            if (problem != null) return explicitly ? Unreachable(Provider.Gce, problem) : Failed(Provider.Gce, "GET /computeMetadata/v1/instance/id", 0, problem);
            if (!response.HeaderIs("Metadata-Flavor", "Google"))
            {
                // Neither AWS's token nor Google's header: some other server answers at the address.
                KernelConsole.Prefix();
                KernelConsole.Write("cloud: the server at ");
                KernelConsole.Write(Host);
                KernelConsole.Write(" answered ");
                KernelConsole.WriteDecimal((ulong)response.Status);
                KernelConsole.WriteLine(explicitly ? " without Metadata-Flavor: Google: not GCE's metadata server; skipped"
                                                   : " to neither AWS's nor GCE's requests (no IMDSv2 token, no Metadata-Flavor: Google); skipped");
                return -1;
            }
            if (response.Status != 200) return Failed(Provider.Gce, "GET /computeMetadata/v1/instance/id", response.Status, "no instance id");
            TakeInstanceId(response.Body, response.BodyLength, Provider.Gce);

            request = GceRequest("/computeMetadata/v1/instance/attributes/" + GceAttribute);
            problem = Exchange(ref request, out response);
            if (problem != null) return Failed(Provider.Gce, "GET attributes/" + GceAttribute, 0, problem);
            if (response.Status == 200) return Apply(Provider.Gce, response.Body, response.BodyLength, "attribute " + GceAttribute);
            if (response.Status != 404) return Failed(Provider.Gce, "GET attributes/" + GceAttribute, response.Status, "no user data");

            request = GceRequest("/computeMetadata/v1/instance/attributes/user-data");
            problem = Exchange(ref request, out response);
            if (problem != null) return Failed(Provider.Gce, "GET attributes/user-data", 0, problem);
            if (response.Status == 200) return Apply(Provider.Gce, response.Body, response.BodyLength, "attribute user-data");
            if (response.Status != 404) return Failed(Provider.Gce, "GET attributes/user-data", response.Status, "no user data");
            return NoUserData(Provider.Gce, "attributes " + GceAttribute + " and user-data unset");
        }

        private static HttpRequestText GceRequest(string path)
        {
            var request = new HttpRequestText(s_request, RequestCapacity, "GET", path, Host);
            request.Header("Metadata-Flavor", "Google");
            request.End();
            return request;
        }

        private static string Exchange(ref HttpRequestText request, out HttpResponse response)
        {
            ulong deadline = Time.Clock.MonotonicNanoseconds + s_waitNanoseconds;
            return PolledHttpClient.Exchange(NetworkConfiguration.Make(169, 254, 169, 254), Port, request.Bytes, request.Length,
                                             s_response, ResponseCapacity, deadline, out response);
        }

        private static int Apply(Provider provider, byte* text, int length, string what)
        {
            int entries = BootEnvironment.AddUserData(text, length, Name(provider));
            Begin(provider);
            KernelConsole.Write("instance ");
            KernelConsole.WriteBytes(InstanceIdentity.Id, InstanceIdentity.Length);
            KernelConsole.Write(", ");
            KernelConsole.Write(what);
            KernelConsole.Write(" ");
            KernelConsole.WriteDecimal((ulong)length);
            KernelConsole.Write(" bytes, ");
            if (entries >= 0)
            {
                KernelConsole.WriteDecimal((ulong)entries);
                KernelConsole.Write(" entries");
            }
            else KernelConsole.Write("not applied");
            End();
            return entries;
        }

        private static int NoUserData(Provider provider, string why)
        {
            Begin(provider);
            KernelConsole.Write("instance ");
            KernelConsole.WriteBytes(InstanceIdentity.Id, InstanceIdentity.Length);
            KernelConsole.Write(", no user data (");
            KernelConsole.Write(why);
            KernelConsole.Write(")");
            End();
            return -1;
        }

        private static int Unreachable(Provider provider, string problem)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("cloud: ");
            if (provider != Provider.Auto)
            {
                KernelConsole.Write(Name(provider));
                KernelConsole.Write(": ");
            }
            KernelConsole.Write("no metadata server at ");
            KernelConsole.Write(Host);
            KernelConsole.Write(" (");
            KernelConsole.Write(problem);
            KernelConsole.Write(", ");
            KernelConsole.WriteDecimal((Time.Clock.MonotonicNanoseconds - s_started) / 1_000_000UL);
            KernelConsole.Write(" ms, ");
            KernelConsole.Write(WaitOption);
            KernelConsole.Write("=");
            KernelConsole.WriteDecimal(s_waitNanoseconds / 1_000_000_000UL);
            KernelConsole.WriteLine("); skipped");
            return -1;
        }

        private static int Failed(Provider provider, string request, int status, string problem)
        {
            Begin(provider);
            KernelConsole.Write(request);
            KernelConsole.Write(": ");
            if (status != 0)
            {
                KernelConsole.Write("status ");
                KernelConsole.WriteDecimal((ulong)status);
                KernelConsole.Write(", ");
            }
            KernelConsole.Write(problem);
            KernelConsole.Write("; skipped");
            End();
            return -1;
        }

        private static void Begin(Provider provider)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("cloud: ");
            KernelConsole.Write(Name(provider));
            KernelConsole.Write(": ");
        }

        private static void End()
        {
            KernelConsole.Write(" (");
            KernelConsole.WriteDecimal((Time.Clock.MonotonicNanoseconds - s_started) / 1_000_000UL);
            KernelConsole.WriteLine(" ms)");
        }

        private static void Line(Provider provider, string text)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("cloud: ");
            if (provider != Provider.Auto)
            {
                KernelConsole.Write(Name(provider));
                KernelConsole.Write(": ");
            }
            KernelConsole.WriteLine(text);
        }

        private static string Name(Provider provider) => provider == Provider.Gce ? "gce metadata" : "aws metadata";

        private static void TakeInstanceId(byte* body, int length, Provider provider)
        {
            byte* copy = stackalloc byte[InstanceIdentity.MaxLength];
            int n = Trimmed(body, length < InstanceIdentity.MaxLength ? length : InstanceIdentity.MaxLength, copy);
            InstanceIdentity.SetFromCloud(copy, n, Name(provider));
        }

        // The bytes without surrounding whitespace (servers may end a value with a newline), copied to destination.
        private static int Trimmed(byte* text, int length, byte* destination)
        {
            int start = 0, end = length;
            while (start < end && text[start] <= ' ') start++;
            while (end > start && text[end - 1] <= ' ') end--;
            for (int i = start; i < end; i++) destination[i - start] = text[i];
            return end - start;
        }
    }
}
