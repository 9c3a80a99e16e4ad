// The output shapes of the EC2 actions the AWS collector calls, as botocore's service model for EC2
// (botocore/data/ec2/2016-11-15/service-2.json) defines them: for each structure, its members in the
// model's order (the order the AWS CLI prints them in), each as Name[=xmlName]:type, where xmlName is the
// member's locationName in the Query protocol's XML (when it is not Name with a lower-case first letter) and
// type is s (string), i (integer), l (long), b (boolean), d (double), t (timestamp), {Shape} (a structure)
// or [Shape] / [s] (a list, each element an <item>). A line starting with spaces continues the one before.
#include "aws_ec2_shapes.hpp"

namespace sgaudit::collect::detail {

std::string_view ec2ShapesText() {
  return R"(
DescribeSecurityGroupsResult NextToken:s SecurityGroups=securityGroupInfo:[SecurityGroup]
SecurityGroup GroupId:s IpPermissionsEgress:[IpPermission] Tags=tagSet:[Tag] VpcId:s SecurityGroupArn:s
  OwnerId:s GroupName:s Description=groupDescription:s IpPermissions:[IpPermission]
IpPermission IpProtocol:s FromPort:i ToPort:i UserIdGroupPairs=groups:[UserIdGroupPair] IpRanges:[IpRange]
  Ipv6Ranges:[Ipv6Range] PrefixListIds:[PrefixListId]
UserIdGroupPair Description:s UserId:s GroupName:s GroupId:s VpcId:s VpcPeeringConnectionId:s
  PeeringStatus:s
IpRange Description:s CidrIp:s
Ipv6Range Description:s CidrIpv6:s
PrefixListId Description:s PrefixListId:s
Tag Key:s Value:s
DescribeSecurityGroupRulesResult SecurityGroupRules=securityGroupRuleSet:[SecurityGroupRule] NextToken:s
SecurityGroupRule SecurityGroupRuleId:s GroupId:s GroupOwnerId:s IsEgress:b IpProtocol:s FromPort:i ToPort:i
  CidrIpv4:s CidrIpv6:s PrefixListId:s ReferencedGroupInfo:{ReferencedSecurityGroup} Description:s
  Tags=tagSet:[Tag] SecurityGroupRuleArn:s
ReferencedSecurityGroup GroupId:s PeeringStatus:s UserId:s VpcId:s VpcPeeringConnectionId:s
DescribeInstancesResult NextToken:s Reservations=reservationSet:[Reservation]
Reservation ReservationId:s OwnerId:s RequesterId:s Groups=groupSet:[GroupIdentifier]
  Instances=instancesSet:[Instance]
GroupIdentifier GroupId:s GroupName:s
Instance Architecture:s BlockDeviceMappings=blockDeviceMapping:[InstanceBlockDeviceMapping] ClientToken:s
  EbsOptimized:b EnaSupport:b Hypervisor:s IamInstanceProfile:{IamInstanceProfile} InstanceLifecycle:s
  ElasticGpuAssociations=elasticGpuAssociationSet:[ElasticGpuAssociation]
  ElasticInferenceAcceleratorAssociations=elasticInferenceAcceleratorAssociationSet:[ElasticInferenceAcceleratorAssociation]
  NetworkInterfaces=networkInterfaceSet:[InstanceNetworkInterface] OutpostArn:s RootDeviceName:s
  RootDeviceType:s SecurityGroups=groupSet:[GroupIdentifier] SourceDestCheck:b SpotInstanceRequestId:s
  SriovNetSupport:s StateReason:{StateReason} Tags=tagSet:[Tag] VirtualizationType:s CpuOptions:{CpuOptions}
  CapacityBlockId:s CapacityReservationId:s
  CapacityReservationSpecification:{CapacityReservationSpecificationResponse}
  HibernationOptions:{HibernationOptions} Licenses=licenseSet:[LicenseConfiguration]
  MetadataOptions:{InstanceMetadataOptionsResponse} EnclaveOptions:{EnclaveOptions} BootMode:s
  PlatformDetails:s UsageOperation:s UsageOperationUpdateTime:t
  PrivateDnsNameOptions:{PrivateDnsNameOptionsResponse} Ipv6Address:s TpmSupport:s
  MaintenanceOptions:{InstanceMaintenanceOptions} CurrentInstanceBootMode:s
  NetworkPerformanceOptions:{InstanceNetworkPerformanceOptions} Operator:{OperatorResponse}
  SecondaryInterfaces=secondaryInterfaceSet:[InstanceSecondaryInterface] InstanceId:s ImageId:s
  State=instanceState:{InstanceState} PrivateDnsName:s PublicDnsName=dnsName:s
  StateTransitionReason=reason:s KeyName:s AmiLaunchIndex:i ProductCodes:[ProductCode] InstanceType:s
  LaunchTime:t Placement:{Placement} KernelId:s RamdiskId:s Platform:s Monitoring:{Monitoring} SubnetId:s
  VpcId:s PrivateIpAddress:s PublicIpAddress=ipAddress:s
InstanceBlockDeviceMapping DeviceName:s Ebs:{EbsInstanceBlockDevice}
EbsInstanceBlockDevice AttachTime:t DeleteOnTermination:b Status:s VolumeId:s AssociatedResource:s
  VolumeOwnerId:s Operator:{OperatorResponse} EbsCardIndex:i
OperatorResponse Managed:b Principal:s HiddenByDefault:b
IamInstanceProfile Arn:s Id:s
ElasticGpuAssociation ElasticGpuId:s ElasticGpuAssociationId:s ElasticGpuAssociationState:s
  ElasticGpuAssociationTime:s
ElasticInferenceAcceleratorAssociation ElasticInferenceAcceleratorArn:s
  ElasticInferenceAcceleratorAssociationId:s ElasticInferenceAcceleratorAssociationState:s
  ElasticInferenceAcceleratorAssociationTime:t
InstanceNetworkInterface Association:{InstanceNetworkInterfaceAssociation}
  Attachment:{InstanceNetworkInterfaceAttachment} Description:s Groups=groupSet:[GroupIdentifier]
  Ipv6Addresses=ipv6AddressesSet:[InstanceIpv6Address] MacAddress:s NetworkInterfaceId:s OwnerId:s
  PrivateDnsName:s PrivateIpAddress:s PrivateIpAddresses=privateIpAddressesSet:[InstancePrivateIpAddress]
  SourceDestCheck:b Status:s SubnetId:s VpcId:s InterfaceType:s
  Ipv4Prefixes=ipv4PrefixSet:[InstanceIpv4Prefix] Ipv6Prefixes=ipv6PrefixSet:[InstanceIpv6Prefix]
  ConnectionTrackingConfiguration:{ConnectionTrackingSpecificationResponse} Operator:{OperatorResponse}
InstanceNetworkInterfaceAssociation CarrierIp:s CustomerOwnedIp:s IpOwnerId:s PublicDnsName:s PublicIp:s
InstanceNetworkInterfaceAttachment AttachTime:t AttachmentId:s DeleteOnTermination:b DeviceIndex:i Status:s
  NetworkCardIndex:i EnaSrdSpecification:{InstanceAttachmentEnaSrdSpecification} EnaQueueCount:i
InstanceAttachmentEnaSrdSpecification EnaSrdEnabled:b
  EnaSrdUdpSpecification:{InstanceAttachmentEnaSrdUdpSpecification}
InstanceAttachmentEnaSrdUdpSpecification EnaSrdUdpEnabled:b
InstanceIpv6Address Ipv6Address:s IsPrimaryIpv6:b
InstancePrivateIpAddress Association:{InstanceNetworkInterfaceAssociation} Primary:b PrivateDnsName:s
  PrivateIpAddress:s
InstanceIpv4Prefix Ipv4Prefix:s
InstanceIpv6Prefix Ipv6Prefix:s
ConnectionTrackingSpecificationResponse TcpEstablishedTimeout:i UdpStreamTimeout:i UdpTimeout:i
StateReason Code:s Message:s
CpuOptions CoreCount:i ThreadsPerCore:i AmdSevSnp:s NestedVirtualization:s
CapacityReservationSpecificationResponse CapacityReservationPreference:s
  CapacityReservationTarget:{CapacityReservationTargetResponse}
CapacityReservationTargetResponse CapacityReservationId:s CapacityReservationResourceGroupArn:s
HibernationOptions Configured:b
LicenseConfiguration LicenseConfigurationArn:s
InstanceMetadataOptionsResponse State:s HttpTokens:s HttpPutResponseHopLimit:i HttpEndpoint:s
  HttpProtocolIpv6:s InstanceMetadataTags:s
EnclaveOptions Enabled:b
PrivateDnsNameOptionsResponse HostnameType:s EnableResourceNameDnsARecord:b
  EnableResourceNameDnsAAAARecord:b
InstanceMaintenanceOptions AutoRecovery:s RebootMigration:s
InstanceNetworkPerformanceOptions BandwidthWeighting:s
InstanceSecondaryInterface Attachment:{InstanceSecondaryInterfaceAttachment} MacAddress:s
  SecondaryInterfaceId:s OwnerId:s
  PrivateIpAddresses=privateIpAddressSet:[InstanceSecondaryInterfacePrivateIpAddress] SourceDestCheck:b
  Status:s SecondarySubnetId:s SecondaryNetworkId:s InterfaceType:s
InstanceSecondaryInterfaceAttachment AttachTime:t AttachmentId:s DeleteOnTermination:b DeviceIndex:i
  Status:s NetworkCardIndex:i
InstanceSecondaryInterfacePrivateIpAddress PrivateIpAddress:s
InstanceState Code:i Name:s
ProductCode ProductCodeId=productCode:s ProductCodeType=type:s
Placement AvailabilityZoneId:s Affinity:s GroupName:s PartitionNumber:i HostId:s Tenancy:s SpreadDomain:s
  HostResourceGroupArn:s GroupId:s AvailabilityZone:s
Monitoring State:s
DescribeVpcsResult NextToken:s Vpcs=vpcSet:[Vpc]
Vpc OwnerId:s InstanceTenancy:s Ipv6CidrBlockAssociationSet:[VpcIpv6CidrBlockAssociation]
  CidrBlockAssociationSet:[VpcCidrBlockAssociation] IsDefault:b EncryptionControl:{VpcEncryptionControl}
  Tags=tagSet:[Tag] BlockPublicAccessStates:{BlockPublicAccessStates} VpcId:s State:s CidrBlock:s
  DhcpOptionsId:s
VpcIpv6CidrBlockAssociation AssociationId:s Ipv6CidrBlock:s Ipv6CidrBlockState:{VpcCidrBlockState}
  NetworkBorderGroup:s Ipv6Pool:s Ipv6AddressAttribute:s IpSource:s
VpcCidrBlockState State:s StatusMessage:s
VpcCidrBlockAssociation AssociationId:s CidrBlock:s CidrBlockState:{VpcCidrBlockState}
VpcEncryptionControl VpcId:s VpcEncryptionControlId:s Mode:s State:s StateMessage:s
  ResourceExclusions:{VpcEncryptionControlExclusions} Tags=tagSet:[Tag]
VpcEncryptionControlExclusions InternetGateway:{VpcEncryptionControlExclusion}
  EgressOnlyInternetGateway:{VpcEncryptionControlExclusion} NatGateway:{VpcEncryptionControlExclusion}
  VirtualPrivateGateway:{VpcEncryptionControlExclusion} VpcPeering:{VpcEncryptionControlExclusion}
  Lambda:{VpcEncryptionControlExclusion} VpcLattice:{VpcEncryptionControlExclusion}
  ElasticFileSystem:{VpcEncryptionControlExclusion}
VpcEncryptionControlExclusion State:s StateMessage:s
BlockPublicAccessStates InternetGatewayBlockMode:s
DescribeManagedPrefixListsResult NextToken:s PrefixLists=prefixListSet:[ManagedPrefixList]
ManagedPrefixList PrefixListId:s AddressFamily:s State:s StateMessage:s PrefixListArn:s PrefixListName:s
  MaxEntries:i Version:l Tags=tagSet:[Tag] OwnerId:s IpamPrefixListResolverTargetId:s
  IpamPrefixListResolverSyncEnabled:b
GetManagedPrefixListEntriesResult Entries=entrySet:[PrefixListEntry] NextToken:s
PrefixListEntry Cidr:s Description:s
)";
}

}  // namespace sgaudit::collect::detail
